/**
 * How much `ports` costs inside a shell script, against bare Node start-up, measured in one run:
 * (a) what the `dev` recipe runs, called directly; (b) `just dev 1 ports` through the native just
 * binary; (c) the same through node_modules/.bin/just, the npm launcher around that binary; (d) bare
 * `ports` resolving this checkout's leased number from a lease registry of 50 entries; (e) `ports`
 * when the TypeScript declaration must be bundled afresh (its cache removed: a first run, or an edit);
 * (f) (a) as an installed package runs it, without this checkout's check for edited sources.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, printTable, timeInterleaved } from './lib.js';

/** A lease registry of `count` entries: count-1 other live checkouts of the project, and repo holding `mine`. */
function leaseFile(repo: string, count: number, mine: number): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'di-bench-leases-'));
  const leases = Array.from({ length: count }, (_, i) => {
    const checkout = i === 0 ? repo : join(dir, `checkout-${i}`);
    if (i > 0) mkdirSync(checkout);
    return { project: 'shipsec', instance: i === 0 ? mine : 100 + i, checkout, branch: `b${i}`, default: true, since: new Date().toISOString() };
  });
  writeFileSync(join(dir, 'leases.json'), JSON.stringify({ version: 1, leases }, null, 2));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startupBench(repo: string, rounds = 20): void {
  const node = process.execPath;
  const justArgs = ['--justfile', join(repo, 'justfile'), '--working-directory', repo, 'dev', '1', 'ports'];
  const env = { DEV_INSTANCES_NO_REBUILD: '0' }; // the real launcher path, staleness check included
  const empty = mkdtempSync(join(tmpdir(), 'di-bench-noleases-'));
  // The project is the ShipSec example; its commands run from its folder, as its users run them.
  const example = join(repo, 'examples', 'shipsec');
  const fifty = leaseFile(example, 50, 1);
  const results = timeInterleaved([
    { label: 'node -e 0 (baseline)', cmd: node, args: ['-e', '0'] },
    { label: '(a) node bin/dev.mjs ports 1', cmd: node, args: [join(repo, 'bin', 'dev.mjs'), 'ports', '1'], env: { ...env, DEV_INSTANCES_STATE_DIR: empty }, cwd: example },
    // An installed package has no TypeScript sources for the launcher to check: the adopter's figure.
    { label: '(f) node bin/dev.mjs ports 1, as installed (no source check)', cmd: node, args: [join(repo, 'bin', 'dev.mjs'), 'ports', '1'], env: { DEV_INSTANCES_NO_REBUILD: '1', DEV_INSTANCES_STATE_DIR: empty }, cwd: example },
    { label: '(d) node bin/dev.mjs ports (leased, 50 leases)', cmd: node, args: [join(repo, 'bin', 'dev.mjs'), 'ports'], env: { ...env, DEV_INSTANCES_STATE_DIR: fifty.dir, SHIPSEC_INSTANCE: '' }, cwd: example },
    { label: '(b) just dev 1 ports (native just)', cmd: join(repo, 'node_modules', 'rust-just-linux-x64', 'bin', 'just'), args: justArgs, env },
    { label: '(c) just dev 1 ports (node_modules/.bin/just)', cmd: join(repo, 'node_modules', '.bin', 'just'), args: justArgs, env },
    // The declaration (TypeScript) loaded as an adopter's is: from the content-keyed cache, or bundled afresh.
    { label: '(e) cold: ports 1 with the declaration cache removed', cmd: 'sh', args: ['-c', `rm -rf "$1" && exec "$2" "$3" ports 1`, 'sh', join(repo, 'node_modules', '.cache', 'dev-instances'), node, join(repo, 'bin', 'dev.mjs')], env: { ...env, DEV_INSTANCES_STATE_DIR: empty }, cwd: example },
  ], rounds);
  rmSync(empty, { recursive: true, force: true });
  fifty.cleanup();
  const base = median(results[0]?.samples ?? [1]);
  printTable(`ports start-up, median of ${rounds} interleaved runs (targets: (a) and (f) at most 1.5x; (b) at most 2x; (d) at most 10 ms above (a))`,
    ['command', 'median ms', 'x node -e 0'],
    results.map((r) => [r.label, median(r.samples).toFixed(1), (median(r.samples) / base).toFixed(2)]));
}
