/** After trust or untrust: a running proxy starts again, so HTTPS follows the new setting. Whether it ran. */
import { ensureProxy, stopProxy } from '../../proxy/control.js';
import { runningProxy } from '../../proxy/state.js';
import type { CommandContext } from './context.js';

export async function restartProxyFor(ctx: CommandContext): Promise<boolean> {
  const running = runningProxy();
  if (!running || !ctx.proxy) return false;
  await stopProxy();
  await ensureProxy(running.port);
  return true;
}
