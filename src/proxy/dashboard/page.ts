/**
 * The dashboard page: one HTML document with its style and script inline, no build step, no
 * framework. It is served with the state of the moment inside (a first paint needs no second
 * request), then follows server-sent events. With the machine's key (its cookie) it shows logs and
 * the start, stop and restart buttons; without it, the instances and where the key's link is. The key
 * itself is never in the page.
 */
import qrcode from 'qrcode-generator';
import { escapeHtml } from '../pages.js';

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (json: string): string => json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** pairLink: the LAN side's one-use pairing link, shown (with its QR code) to the key's holder alone. */
export function dashboardPage(stateJson: string, keyed: boolean, pairLink?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dev-instances</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>dev-instances</h1><span id="summary"></span><span id="live" class="live">connecting…</span></header>
${keyed ? '' : '<p class="keyless">Read only: logs and the Start, Stop and Restart buttons need this machine\'s dashboard key. Open the link <code>just dev proxy</code> prints (a start prints it too).</p>'}
<main id="instances" data-keyed="${keyed ? 'yes' : 'no'}"></main>
${keyed && pairLink ? pairSection(pairLink) : ''}
<script type="application/json" id="initial">${scriptJson(stateJson)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--ok:#12805c;--bad:#c4320a;--warn:#b54708;--bg:#f8f9fb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1rem;align-items:baseline;padding:.9rem 1.5rem;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:1.1rem;margin:0}#summary{color:var(--muted)}.live{margin-left:auto;font-size:.8rem;color:var(--muted)}
.live.on::before{content:'●';color:var(--ok);margin-right:.3rem}
main{padding:1rem 1.5rem;display:grid;gap:1rem}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.9rem 1rem}
.top{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}.top h2{font-size:1rem;margin:0}
.where{color:var(--muted);font-size:.85rem}.where code{font-size:.8rem}
.pill{font-size:.75rem;padding:.1rem .5rem;border-radius:99px;border:1px solid currentColor}
.running{color:var(--ok)}.stopped{color:var(--muted)}.errored{color:var(--bad)}.partial{color:var(--warn)}
.actions{margin-left:auto;display:flex;gap:.4rem}
button{font:inherit;font-size:.8rem;padding:.2rem .7rem;border:1px solid var(--line);border-radius:5px;background:#fff;cursor:pointer}
button:hover{border-color:#98a2b3}button:disabled{opacity:.5;cursor:progress}
.urls{margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}.urls a{color:#0b5cad;text-decoration:none}.urls small{color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:.85rem}th{text-align:left;font-weight:500;color:var(--muted)}
th,td{padding:.25rem .5rem;border-top:1px solid var(--line)}td.n{font-variant-numeric:tabular-nums}
.ok{color:var(--ok)}.failing{color:var(--bad)}
pre{background:#101828;color:#e4e7ec;padding:.6rem .8rem;border-radius:6px;overflow:auto;max-height:22rem;font-size:.78rem;margin:.5rem 0 0}
.msg{font-size:.8rem;margin-top:.4rem;white-space:pre-wrap}.msg.bad{color:var(--bad)}
.empty{color:var(--muted);padding:2rem;text-align:center}
.keyless{margin:1rem 1.5rem 0;padding:.6rem .9rem;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--muted)}
`;

const SCRIPT = `
const $ = (s, el = document) => el.querySelector(s);
const keyed = $('#instances').dataset.keyed === 'yes';
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
const busy = new Map();   // instance id -> action running
const notes = new Map();  // instance id -> {bad, text}
const logs = new Map();   // process name -> text shown
let state = JSON.parse($('#initial').textContent);

function uptime(startedAt) {
  if (!startedAt) return '-';
  const s = Math.max(0, Math.floor((Date.now() - startedAt) / 1000));
  return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm' : s < 86400 ? Math.floor(s / 3600) + 'h' : Math.floor(s / 86400) + 'd';
}

function card(i) {
  const b = busy.get(i.id);
  const note = notes.get(i.id);
  const where = (i.branch ? 'branch <b>' + esc(i.branch) + '</b> · ' : '') + '<code>' + esc(i.checkout) + '</code>';
  const link = (href, small) => '<span><a href="' + esc(href) + '" target="_blank">' + esc(href) + '</a> <small>' + esc(small) + '</small></span>';
  const urls = (i.home ? link(i.home, 'home') : '') + i.urls.map((u) => link(u.named, u.app + ' · ' + u.direct)).join('');
  const rows = i.processes.map((p) => '<tr data-process="' + esc(p.name) + '"><td>' + esc(p.name) + '</td><td>' + p.kind + '</td><td class="n">' + (p.port || '-')
    + '</td><td class="' + esc(p.state) + '">' + esc(p.state) + '</td><td class="n">' + (p.pid || '-') + '</td><td class="n" data-started="' + (p.startedAt || '')
    + '">' + uptime(p.startedAt) + '</td><td class="n">' + (p.restarts ?? '-') + '</td><td class="' + p.health + '">' + p.health
    + '</td><td>' + (keyed ? '<button data-logs="' + esc(p.name) + '">' + (logs.has(p.name) ? 'hide logs' : 'logs') + '</button>' : '') + '</td></tr>'
    + (logs.has(p.name) ? '<tr><td colspan="9"><pre>' + esc(logs.get(p.name) || '(empty)') + '</pre></td></tr>' : '')).join('');
  const button = (a, label) => '<button data-act="' + a + '" data-id="' + esc(i.id) + '"' + (b ? ' disabled' : '') + '>' + (b === a ? label + '…' : label) + '</button>';
  return '<section class="card" data-instance="' + esc(i.id) + '" data-state="' + i.state + '"><div class="top"><h2>' + esc(i.project) + ' · instance ' + i.instance + '</h2>'
    + '<span class="pill ' + i.state + '">' + i.state + '</span><span class="where">' + where + '</span><span class="actions">'
    + (keyed ? button('start', 'Start') + button('stop', 'Stop') + button('restart', 'Restart') : '') + '</span></div>'
    + '<div class="urls">' + urls + '</div>'
    + '<table><tr><th>process</th><th>kind</th><th>port</th><th>state</th><th>pid</th><th>uptime</th><th>restarts</th><th>health</th><th></th></tr>' + rows + '</table>'
    + (note ? '<div class="msg' + (note.bad ? ' bad' : '') + '">' + esc(note.text) + '</div>' : '') + '</section>';
}

function render() {
  const running = state.instances.filter((i) => i.state === 'running').length;
  $('#summary').textContent = state.instances.length + ' instance' + (state.instances.length === 1 ? '' : 's') + ', ' + running + ' running · proxy on port ' + state.port;
  $('#instances').innerHTML = state.instances.length ? state.instances.map(card).join('')
    : '<p class="empty">No instance yet: <code>just dev</code> in a checkout starts one.</p>';
}

async function act(id, action) {
  const [project, n] = id.split('/');
  busy.set(id, action); notes.delete(id); render();
  try {
    const res = await fetch('/api/instances/' + encodeURIComponent(project) + '/' + n + '/' + action, { method: 'POST' });
    const body = await res.json();
    notes.set(id, body.ok ? { bad: false, text: action + ': done' } : { bad: true, text: action + ' failed: ' + (body.output || body.error || res.status) });
  } catch (err) {
    notes.set(id, { bad: true, text: action + ' failed: ' + err.message });
  }
  busy.delete(id); render();
}

async function toggleLogs(name) {
  if (logs.has(name)) { logs.delete(name); render(); return; }
  logs.set(name, 'loading…'); render();
  const res = await fetch('/api/logs?process=' + encodeURIComponent(name) + '&lines=40');
  logs.set(name, res.ok ? (await res.json()).lines : 'no logs (' + res.status + ')'); render();
}

document.addEventListener('click', (e) => {
  const t = e.target.closest('button');
  if (!t) return;
  if (t.dataset.act) act(t.dataset.id, t.dataset.act);
  else if (t.dataset.logs) toggleLogs(t.dataset.logs);
});

setInterval(() => { for (const td of document.querySelectorAll('[data-started]')) td.textContent = uptime(Number(td.dataset.started)); }, 1000);

function follow() {
  const es = new EventSource('/api/events');
  es.onopen = () => { $('#live').textContent = 'live'; $('#live').classList.add('on'); };
  es.onmessage = (m) => { state = JSON.parse(m.data); render(); };
  es.onerror = () => { $('#live').textContent = 'reconnecting…'; $('#live').classList.remove('on'); };
}
render();
follow();
`;

/** Pair a phone: the link as a QR code (an SVG the library draws from the link alone) and as text. */
function pairSection(link: string): string {
  const code = qrcode(0, 'L');
  code.addData(link);
  code.make();
  return `<section id="pair"><h2>Another device</h2><p>Scan to pair a phone or tablet with this machine (one use; a new code follows), or open <a href="${escapeHtml(link)}">${escapeHtml(link)}</a> on it.</p>${code.createSvgTag(4, 2)}</section>`;
}
