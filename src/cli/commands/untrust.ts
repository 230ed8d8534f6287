/** `untrust`: remove the local CA from every store `trust` added it to, and nothing else; named URLs turn back to HTTP. */
import { describeEntry, untrust } from '../../tls/trust.js';
import { restartProxyFor } from '../support/proxy-restart.js';
import type { CommandContext } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const removed = await untrust();
  const restarted = removed.length > 0 && await restartProxyFor(ctx);
  if (ctx.flags.json) { ctx.out(JSON.stringify({ removed, proxyRestarted: restarted }, null, 2)); return; }
  if (removed.length === 0) { ctx.out('The local CA was not trusted by just dev trust anywhere: nothing to remove.'); return; }
  ctx.out([...removed.map((e) => `removed the local CA from ${describeEntry(e)}`),
    `Named URLs are HTTP again${restarted ? ' (the local proxy was restarted for it)' : ''}; the CA's files stay in the state folder.`].join('\n'));
}
