/**
 * logs N / logs all: the last lines of every app and native infrastructure log of the instance(s),
 * each line prefixed with its process name; then follow them (the default on a terminal). Docker
 * instances add `docker compose logs`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StackDeclaration } from '../config/types.js';
import { composeArgs } from '../engines/docker.js';
import { pm2AppName } from '../plan/names.js';
import type { InstancePlan } from '../plan/plan.js';
import { tailOf } from '../readiness.js';
import { planAsStarted } from './stop.js';

interface Source {
  prefix: string;
  file: string;
  offset: number;
}

function sourcesOf(p: InstancePlan, root: string): Source[] {
  const dir = join(root, p.files.logs);
  let files: string[];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.log')).sort(); } catch { return []; }
  return files.map((f) => {
    const id = basename(f, '.log').replace(/\.(out|err)$/, '');
    const stream = /\.err\.log$/.test(f) ? ' (stderr)' : '';
    return { prefix: `${pm2AppName(p.project, id, p.instance)}${stream}`, file: join(dir, f), offset: statSync(join(dir, f)).size };
  });
}

function readNew(s: Source): string {
  const size = statSync(s.file).size;
  if (size < s.offset) s.offset = 0; // truncated or rotated
  if (size === s.offset) return '';
  const buf = Buffer.alloc(size - s.offset);
  const fd = openSync(s.file, 'r');
  try { readSync(fd, buf, 0, buf.length, s.offset); } finally { closeSync(fd); }
  s.offset = size;
  return buf.toString('utf8');
}

export interface LogsOptions {
  lines: number;
  follow: boolean;
  out: (line: string) => void;
}

export async function showLogs(decl: StackDeclaration, root: string, instances: number[], opts: LogsOptions): Promise<void> {
  const plans = instances.map((n) => planAsStarted(decl, n, root));
  const sources = plans.flatMap(({ plan: p }) => sourcesOf(p, root));
  const width = Math.max(0, ...sources.map((s) => s.prefix.length));
  const print = (s: Source, text: string) => {
    for (const line of text.split('\n')) if (line !== '') opts.out(`${s.prefix.padEnd(width)} | ${line}`);
  };
  for (const s of sources) print(s, await tailOf(s.file, opts.lines));
  const docker = plans.some(({ engine }) => engine.name === 'docker');
  if (sources.length === 0 && !docker) {
    opts.out(instances.length === 0 ? 'No instance is running.' : `No logs yet for instance${instances.length > 1 ? 's' : ''} ${instances.join(', ')}: start ${instances.length > 1 ? 'them' : 'it'} with just dev N.`);
    return;
  }

  const composers = plans.filter(({ engine }) => engine.name === 'docker').map(({ plan: p }) => {
    const args = composeArgs({ decl, scope: p.infra, root }, 'logs', '--no-color', '--tail', String(opts.lines), ...(opts.follow ? ['--follow'] : []));
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, COMPOSE_PROJECT_NAME: p.composeProject } });
    createInterface({ input: child.stdout }).on('line', (l) => opts.out(`${p.composeProject} | ${l}`));
    return new Promise<void>((resolve) => child.on('close', () => resolve()));
  });
  if (!opts.follow) { await Promise.all(composers); return; }

  // Follow until interrupted: poll the files for new bytes (fs.watch misses appends on some systems).
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (const s of sources) {
        try { print(s, readNew(s)); } catch { /* file went away: keep the others */ }
      }
    }, 250);
    process.once('SIGINT', () => { clearInterval(timer); resolve(); });
  });
}
