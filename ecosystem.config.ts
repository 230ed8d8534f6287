/**
 * PM2 ecosystem of the instance named by SHIPSEC_INSTANCE (else 0), built from plan(N) and the
 * rendered env files in .instances/instance-N/ (run `just dev N init` first, or start the instance).
 * Plain PM2 users can also start the materialized `.instances/instance-N/ecosystem.json` directly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInstance } from './src/plan/range.js';
import { checkDeclaration } from './src/config/load.js';
import { EnvDocument } from './src/env/dotenv-doc.js';
import { instanceEnvVar } from './src/plan/names.js';
import { plan, rangeFor } from './src/plan/plan.js';
import { repoRoot } from './src/paths.js';
import { pm2Apps } from './src/pm2/ecosystem.js';
import stack from './stack.config.js';

export function ecosystem(instance: number, root = repoRoot()) {
  const decl = checkDeclaration(stack, 'stack.config.ts');
  const p = plan(decl, instance);
  const envOf = (id: string) => {
    const app = p.apps.find((a) => a.id === id);
    if (!app) return {};
    try {
      return EnvDocument.parse(readFileSync(join(root, app.envFile), 'utf8')).toObject();
    } catch {
      return app.env; // not materialized yet: the plan's own keys still isolate the instance
    }
  };
  return { apps: pm2Apps(p, root, envOf) };
}

const envVar = instanceEnvVar(stack.project);
const { max } = rangeFor(checkDeclaration(stack, 'stack.config.ts'));
export default ecosystem(parseInstance(process.env[envVar] || '0', max, `${envVar} value`));
