/** `trust`: the machine's local CA into this user's trust stores (and the system's, as root); named URLs turn HTTPS. */
import { configuredHttps, httpsPortWhy } from '../../proxy/state.js';
import { describeEntry, trust } from '../../tls/trust.js';
import { restartProxyFor } from '../support/proxy-restart.js';
import type { CommandContext } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const done = await trust();
  const https = configuredHttps();
  const restarted = await restartProxyFor(ctx);
  if (ctx.flags.json) { ctx.out(JSON.stringify({ ...done, https: https ?? null, proxyRestarted: restarted }, null, 2)); return; }
  const lines = [
    ...done.added.map((e) => `trusted the local CA in ${describeEntry(e)}`),
    ...done.kept.map((e) => `already trusted in ${describeEntry(e)}`),
    ...done.skipped.map((s) => `skipped ${s}`),
  ];
  if (https) {
    lines.push(`Named URLs are HTTPS on port ${https.port}${httpsPortWhy(https.port)}`
      + `${restarted ? '; the local proxy was restarted for it' : ''}. Apps read their URLs at start: just dev N restart.`);
  } else lines.push('HTTPS stays off (DEV_INSTANCES_PROXY_HTTPS=off).');
  lines.push('Restart the browser if it was open (it reads its trust store at start); just dev untrust takes it back.');
  ctx.out(lines.join('\n'));
}
