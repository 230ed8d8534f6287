/**
 * How much `ports` costs inside a shell script, against bare Node start-up, measured in one run:
 * (a) what the `dev` recipe runs, called directly; (b) `just dev 1 ports` through the native just
 * binary; (c) the same through node_modules/.bin/just, the npm launcher around that binary.
 */
import { join } from 'node:path';
import { median, printTable, timeInterleaved } from './lib.js';

export function startupBench(repo: string, rounds = 20): void {
  const node = process.execPath;
  const justArgs = ['--justfile', join(repo, 'justfile'), '--working-directory', repo, 'dev', '1', 'ports'];
  const env = { DEV_INSTANCES_NO_REBUILD: '0' }; // the real launcher path, staleness check included
  const results = timeInterleaved([
    { label: 'node -e 0 (baseline)', cmd: node, args: ['-e', '0'] },
    { label: '(a) node bin/dev.mjs ports 1', cmd: node, args: [join(repo, 'bin', 'dev.mjs'), 'ports', '1'], env },
    { label: '(b) just dev 1 ports (native just)', cmd: join(repo, 'node_modules', 'rust-just-linux-x64', 'bin', 'just'), args: justArgs, env },
    { label: '(c) just dev 1 ports (node_modules/.bin/just)', cmd: join(repo, 'node_modules', '.bin', 'just'), args: justArgs, env },
  ], rounds);
  const base = median(results[0]?.samples ?? [1]);
  printTable(`ports start-up, median of ${rounds} interleaved runs (target: (a) and (b) at most 2x)`,
    ['command', 'median ms', 'x node -e 0'],
    results.map((r) => [r.label, median(r.samples).toFixed(1), (median(r.samples) / base).toFixed(2)]));
}
