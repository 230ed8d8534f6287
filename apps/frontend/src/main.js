// Shows which instance this is and the data its own backend (VITE_API_URL) returns.
const api = import.meta.env.VITE_API_URL;
const $ = (id) => document.getElementById(id);
$('api').textContent = api;
$('instance').textContent = import.meta.env.SHIPSEC_INSTANCE ?? '?';

try {
  const health = await (await fetch(`${api}/health`)).json();
  $('instance').textContent = String(health.instance);
  $('database').textContent = health.database;
  $('health').textContent = health.ok ? 'healthy' : 'unhealthy';
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
