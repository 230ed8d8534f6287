// Shows which instance this is and the data its own backend (VITE_API_URL) returns.
import './style.css';

const api = import.meta.env.VITE_API_URL;
const $ = (id) => document.getElementById(id);
$('api').textContent = api;
$('instance').textContent = import.meta.env.SHIPSEC_INSTANCE ?? '?';

try {
  const health = await (await fetch(`${api}/health`)).json();
  $('instance').textContent = String(health.instance);
  $('database').textContent = health.database;
  $('health').textContent = health.ok ? 'healthy' : 'unhealthy';
  // The backend's session cookie travels with the call (its named URL is this instance's own host).
  const session = await (await fetch(`${api}/session`, { credentials: 'include' })).json();
  $('session').textContent = session.name ? `signed in as ${session.name}` : 'not signed in';
  const records = await (await fetch(`${api}/records`)).json();
  for (const r of records) {
    const li = document.createElement('li');
    li.textContent = r.body;
    $('records').append(li);
  }
  document.body.dataset.loaded = 'true';
} catch (err) {
  $('health').textContent = `unreachable (${err.message})`;
  document.body.dataset.loaded = 'error';
}
