#!/usr/bin/env node
// Launcher for the compiled CLI. When a TypeScript source of the tool is newer than
// the last build, rebuild first so an edit never silently runs stale code; otherwise this costs a
// handful of stat calls.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'scripts', 'dev-instance-manager.js');

function newestSource() {
  let newest = 0;
  const visit = (path) => {
    let st;
    try { st = statSync(path); } catch { return; }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else if (path.endsWith('.ts') && st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const p of ['src', 'scripts']) visit(join(root, p));
  return newest;
}

if (process.env.DEV_INSTANCES_NO_REBUILD !== '1'
  && (!existsSync(entry) || newestSource() > statSync(entry).mtimeMs)) {
  process.stderr.write('dev-instances: sources changed, rebuilding (npm run build)...\n');
  // Loaded only to rebuild: child_process brings net and streams, which a plain run never needs.
  const { spawnSync } = await import('node:child_process');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  const r = built.status === 0 ? spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { stdio: 'inherit' }) : built;
  if (r.status !== 0) {
    process.stderr.write('dev-instances: the build failed (see above); fix it or run `npm run build`.\n');
    process.exit(1);
  }
}
await import(entry);
