/** What start, restart, restore and clone share at the end of a start: the proxy for named URLs, and the summary. */
import type { StartResult } from '../../lifecycle/start.js';
import type { Target } from '../../lifecycle/target.js';
import { httpUrls, namedUrls, portsByKey } from '../../plan/views.js';
import { sliceJson } from '../../slices/table.js';
import { dashboardKey, dashboardLink, runningProxy } from '../../proxy/state.js';
import { startSummary } from '../messages.js';
import type { CommandContext } from './context.js';
/**
 * Named URLs need the machine's proxy: started here when it does not run. When it cannot run, the
 * instance starts without named URLs (its apps get http://localhost:PORT), with a warning saying why.
 */
export async function withProxy(ctx: CommandContext, t: Target): Promise<Target> {
  if (!ctx.proxy) return t;
  const { ensureProxy } = await import('../../proxy/control.js');
  try {
    const { started, port } = await ensureProxy(ctx.proxy.port);
    if (started) ctx.note(`started the local proxy: named URLs and the dashboard on http://localhost:${port}/`);
    return t;
  } catch (err) {
    ctx.warn(`${(err as Error).message}; instance ${t.plan.instance} starts without named URLs`);
    return ctx.withoutProxy(t);
  }
}

/** The end of a start (and restart): the summary for people, or one JSON object with --json. */
export function printStart(ctx: CommandContext, r: StartResult): void {
  if (!ctx.flags.json) {
    // The link with the machine's key (its file is the user's own): opened, it gives the browser the dashboard's controls.
    ctx.out(startSummary(r, r.plan.proxy ? dashboardLink(r.plan.proxy.port, dashboardKey(), runningProxy()?.https) : undefined));
    return;
  }
  const p = r.plan;
  const down = new Set(r.unavailable.map((u) => u.service));
  ctx.out(JSON.stringify({
    instance: p.instance, alreadyRunning: r.alreadyRunning, engine: r.engine.name, engineReason: r.engineReason, ms: Math.round(r.ms),
    ports: portsByKey(p),
    urls: httpUrls(p), namedUrls: namedUrls(p),
    ...sliceJson(ctx.stack.decl, p, [...down]), apps: p.apps.map((a) => a.pm2Name), unavailable: r.unavailable,
    placement: p.placement ?? null,
  }, null, 2));
}
