/**
 * `env N [APP]`: the environment an app of the instance runs with (what its env file and PM2 get),
 * as `export KEY='value'` lines for `eval "$(just dev env backend)"`, or --json. Without APP: the
 * variables every app shares (database, Redis, Temporal addresses…) and the instance number.
 */
import { UsageError } from '../../errors.js';
import { renderAppEnv } from '../../materialize.js';
import { instanceEnvVar } from '../../plan/names.js';
import { type CommandContext, needTarget } from '../support/context.js';

/** Single quotes keep every character as it is; a quote inside becomes '\''. */
const shellQuote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

export async function run(ctx: CommandContext): Promise<void> {
  const t = needTarget(ctx);
  const p = t.plan;
  const unavailable = t.state?.unavailable ?? [];
  let env: Record<string, string>;
  if (ctx.operand !== undefined) {
    const app = p.apps.find((a) => a.id === ctx.operand || a.pm2Name === ctx.operand);
    if (!app) throw new UsageError(`unknown app '${ctx.operand}': expected one of ${p.apps.map((a) => a.id).join(', ')}`);
    env = (await renderAppEnv(p, t.root, app, unavailable)).values;
  } else {
    const all = await Promise.all(p.apps.map(async (a) => (await renderAppEnv(p, t.root, a, unavailable)).values));
    const [first = {}, ...rest] = all;
    env = Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((e) => e[k] === v)));
    env[instanceEnvVar(p.project)] = String(p.instance);
  }
  ctx.out(ctx.flags.json
    ? JSON.stringify(env, null, 2)
    // Only names a shell can export (--json keeps every key).
    : Object.entries(env).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n'));
}
