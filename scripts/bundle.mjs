// After tsc: the CLI's entry as one module plus a chunk per command (esbuild, packages left to Node),
// so a command used inside shell scripts (`ports`) loads a handful of files instead of a hundred
// modules. Each command's code still loads only when it runs.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'scripts');
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'scripts', 'dev-instance-manager.ts')],
  bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external',
  outdir, entryNames: '[name]', chunkNames: 'chunks/[name]-[hash]', logLevel: 'warning', allowOverwrite: true,
});
