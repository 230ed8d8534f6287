/** After trust or untrust: a running proxy starts again, so HTTPS follows the new setting. Whether it ran. */
import { ensureProxy, stopProxy } from '../../proxy/control.js';
import { runningProxy } from '../../proxy/state.js';
import type { CommandContext } from './context.js';

export async function restartProxyFor(ctx: CommandContext): Promise<boolean> {
  const running = runningProxy();
  if (!running || !ctx.proxy) return false;
  await stopProxy();
  // Its LAN side too, as it was asked for (paired devices stay paired).
  await ensureProxy(running.port, running.lan ? { lan: { address: running.lan.address, setting: running.lan.setting ?? running.lan.address } } : {});
  return true;
}
