/** `proxy [start|stop|status|unpair]`: the machine's local proxy behind named URLs and the dashboard; unpair forgets the LAN side's devices. */
import { UsageError } from '../../errors.js';
import { PROXY_ENV, PROXY_PORT_ENV, addressPort } from '../../proxy/hosts.js';
import { type ProxyStatus, ensureProxy, proxyStatus, stopProxy, unpairDevices } from '../../proxy/control.js';
import { DEVICE_DAYS } from '../../proxy/pairing.js';
import { configuredLan, configuredPort, httpsPortWhy, lanSetting } from '../../proxy/state.js';
import qrcode from 'qrcode-generator';
import { columns } from '../../text/columns.js';
import type { CommandContext } from '../support/context.js';

const VERBS = ['start', 'stop', 'status', 'unpair'] as const;

function statusText(s: ProxyStatus): string {
  if (s.state !== 'online') {
    return `The local proxy is ${s.state === 'not started' ? 'not running' : s.state}. just dev proxy start (or any start) runs it; ${s.routes} name(s) are leased.`;
  }
  return columns([
    ['Dashboard', s.dashboard ?? ''],
    ['Listens on', (s.addresses ?? []).map((a) => addressPort(a, s.port ?? 0)).join(', ')],
    ['HTTPS', s.https ? `on, port ${s.https.port}${httpsPortWhy(s.https.port)}` : 'off (just dev trust turns it on)'],
    ['Local CA', s.trustedIn.length > 0 ? `trusted in ${s.trustedIn.join(', ')}` : 'not trusted (just dev trust)'],
    ['Front', s.front === 'nginx' ? 'nginx carries the named apps\' traffic; the Node proxy behind it serves the rest' : 'the Node proxy alone (no nginx found, or DEV_INSTANCES_PROXY_FRONT=node)'],
    ['Process', `pid ${s.pid} (PM2 app dev-instances-proxy) running ${s.script ?? '?'}`],
    ['Routes', `${s.routes} named host(s), following the lease registry`],
    ...(s.lan ? [
      ['Other devices', `https://${addressPort(s.lan.address, s.lan.port)}/ (each app at its own port there; 403 until a device is paired)`],
      ['Paired devices', `${s.lan.devices} (each for ${DEVICE_DAYS} days from its pairing, across restarts; just dev proxy unpair forgets them)`],
      ['Pair a device', s.lan.pairingLink ? `${s.lan.pairingLink}  (one use; open it on the device, or scan below)` : 'no pairing link yet (the proxy is starting)'],
    ] as [string, string][] : []),
  ]).join('\n') + (s.lan?.pairingLink ? `\n\n${qr(s.lan.pairingLink)}` : '');
}

/** The pairing link as a QR code for a terminal. */
function qr(text: string): string {
  const code = qrcode(0, 'L');
  code.addData(text);
  code.make();
  return code.createASCII(1, 2);
}

export async function run(ctx: CommandContext): Promise<void> {
  const verb = ctx.operand ?? 'status';
  if (!(VERBS as readonly string[]).includes(verb)) throw new UsageError(`invalid proxy action '${verb}': expected ${VERBS.join(', ')}`);
  if (ctx.flags.lan === true && verb !== 'start') throw new UsageError(`--lan goes with proxy start (just dev proxy start --lan); got proxy ${verb}`);
  if (verb === 'start') {
    if (!ctx.proxy) throw new UsageError(`named URLs are off (${PROXY_ENV}=off, or proxy.enabled false in the declaration); nothing was started`);
    const lan = ctx.flags.lan === true ? configuredLan(process.env, true) : undefined;
    const { started, port } = await ensureProxy(ctx.proxy.port, lan ? { lan: { address: lan, setting: lanSetting() ?? 'auto' } } : {});
    if (!started && port !== configuredPort()) ctx.warn(`the proxy already runs on port ${port}; ${PROXY_PORT_ENV} takes effect after just dev proxy stop`);
  } else if (verb === 'unpair') {
    const forgot = await unpairDevices();
    if (ctx.flags.json) { ctx.out(JSON.stringify({ unpaired: forgot })); return; }
    ctx.out(`Unpaired ${forgot} device(s): each gets 403 from its next request, and the pairing link shown so far no longer works (just dev proxy shows the new one).`);
    return;
  } else if (verb === 'stop') {
    const stopped = await stopProxy();
    if (ctx.flags.json) { ctx.out(JSON.stringify({ stopped })); return; }
    ctx.out(stopped ? 'Stopped the local proxy; named URLs answer again after just dev proxy start (or any start).' : 'The local proxy was not running.');
    return;
  }
  const s = await proxyStatus();
  ctx.out(ctx.flags.json ? JSON.stringify(s, null, 2) : statusText(s));
}
