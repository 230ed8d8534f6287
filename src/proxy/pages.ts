/** The proxy's own small pages: an instance that is down, a name nothing answers to, a refusal. Pure. */
import { describeCheckout } from '../leases/checkout.js';
import type { Route } from './routes.js';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:42rem;padding:0 1rem;color:#222}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem .8rem;overflow-x:auto}
a{color:#0b5cad}</style></head><body>${body}</body></html>\n`;
}

/** The route's instance does not answer: which one, that it is stopped, and how to start it. */
export function stoppedPage(r: Route, dashboard: string): string {
  const where = describeCheckout({ path: r.checkout, ...(r.branch ? { branch: r.branch } : {}) });
  return page(`${r.project} instance ${r.instance} is stopped`, `
<h1>Instance ${r.instance} of ${escapeHtml(r.project)} is stopped</h1>
<p><code>${escapeHtml(r.app)}</code> (${escapeHtml(r.pm2Name)}, port ${r.port}) does not answer.
The instance belongs to the checkout ${escapeHtml(where)}.</p>
<p>Start it:</p>
<pre>cd ${escapeHtml(r.checkout)} &amp;&amp; just dev ${r.instance}</pre>
<p>This page answers again with the app as soon as it is up. All instances: <a href="${escapeHtml(dashboard)}">${escapeHtml(dashboard)}</a></p>`);
}

/** A `*.localhost` name no leased instance has; known: the named URLs there are. */
export function unknownPage(host: string, dashboard: string, known: readonly string[]): string {
  const list = known.length === 0 ? '<p>No instance has a name yet: <code>just dev</code> starts one.</p>'
    : `<p>Names in use:</p><ul>${known.map((u) => `<li><a href="${escapeHtml(u)}">${escapeHtml(u)}</a></li>`).join('')}</ul>`;
  return page(`No instance is named ${host}`, `
<h1>No instance is named <code>${escapeHtml(host)}</code></h1>
<p>Names look like <code>http://&lt;app&gt;.&lt;N&gt;.&lt;project&gt;.localhost</code> or use the branch in place of the number.
All instances: <a href="${escapeHtml(dashboard)}">${escapeHtml(dashboard)}</a></p>${list}`);
}

/**
 * The environment list another device sees once paired: every leased instance's apps at their LAN
 * URLs (the app's own port on this machine's LAN address, over TLS), and the CA to trust.
 */
export function lanPage(routes: Iterable<Route>, lanUrl: (port: number) => string | undefined): string {
  const byInstance = new Map<string, Route[]>();
  for (const r of routes) {
    const key = `${r.project} ${r.instance}`;
    const list = byInstance.get(key) ?? [];
    if (!list.some((x) => x.app === r.app)) list.push(r);
    byInstance.set(key, list);
  }
  const items = [...byInstance.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([, rs]) => {
    const first = rs[0] as Route;
    const apps = rs.map((r) => {
      const u = lanUrl(r.port);
      return u ? `<li><a href="${escapeHtml(u)}">${escapeHtml(r.app)}</a> <code>${escapeHtml(u)}</code></li>` : `<li>${escapeHtml(r.app)}: its port ${r.port} has no LAN port</li>`;
    }).join('');
    return `<li><strong>${escapeHtml(first.project)} instance ${first.instance}</strong>${first.branch ? ` (${escapeHtml(first.branch)})` : ''}<ul>${apps}</ul></li>`;
  });
  return page('dev-instances on this network', `
<h1>Instances on this machine</h1>
${items.length === 0 ? '<p>No instance is leased yet.</p>' : `<ul>${items.join('')}</ul>`}
<p>To open them without a warning, trust this machine's local CA on this device: <a href="/ca.pem">ca.pem</a>
(it can vouch only for local and private-network names).</p>`);
}
