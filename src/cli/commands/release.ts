/** `release N`: give the instance number back to the machine-wide pool, when nothing of it is left. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError } from '../../errors.js';
import { releaseInstance } from '../../leases/assign.js';
import { withPm2 } from '../../pm2/client.js';
import { type CommandContext, needTarget } from '../support/context.js';

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const n = t.plan.instance;
  const names = new Set(t.plan.apps.map((a) => a.pm2Name));
  const running = (await withPm2((pm2) => pm2.list())).some((x) => names.has(x.name));
  // Its data would pass to whichever checkout takes the number next (volumes and databases are named by it).
  if (running || t.state || existsSync(join(t.root, t.plan.dir))) {
    throw new OperationalError(`instance ${n} still has ${running ? 'processes' : 'data'} in this checkout (${t.plan.dir}); nothing was released`,
      `just dev ${n} clean deletes it and gives the number back (its database is backed up first).`);
  }
  const released = await releaseInstance(t.decl.project, t.root, n);
  if (ctx.flags.json) ctx.out(JSON.stringify({ instance: n, released }));
  else {
    ctx.out(released ? `gave instance number ${n} back (any checkout may take it now)` : `this checkout did not hold instance ${n}; nothing to release`);
  }
}
