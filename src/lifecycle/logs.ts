/**
 * logs N / logs all: the last lines of every app and native infrastructure log of the instance(s),
 * each line prefixed with its process name; then follow them (the default on a terminal). Engines
 * that keep logs themselves (compose) add their own stream.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pm2AppName } from '../plan/names.js';
import type { InstancePlan } from '../plan/plan.js';
import { interrupted, onInterrupt } from '../proc/interrupt.js';
import { tailOf } from '../readiness.js';
import type { Target } from './target.js';

interface Source {
  /** The app or service the file is of. */
  id: string;
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
    return { id, prefix: `${pm2AppName(p.project, id, p.instance)}${stream}`, file: join(dir, f), offset: statSync(join(dir, f)).size };
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
  /** One process only: an app's id, or a piece of infrastructure (its kind, or its compose service on docker). */
  only?: { id: string; service?: string };
  out: (line: string) => void;
}

/** Returns false when there was nothing to show (no log files and no engine logs). */
export async function showLogs(targets: readonly Target[], opts: LogsOptions): Promise<boolean> {
  const only = opts.only;
  const sources = targets.flatMap((t) => sourcesOf(t.plan, t.root)).filter((s) => !only || s.id === only.id);
  const width = Math.max(0, ...sources.map((s) => s.prefix.length));
  const print = (s: Source, text: string) => {
    for (const line of text.split('\n')) if (line !== '') opts.out(`${s.prefix.padEnd(width)} | ${line}`);
  };
  for (const s of sources) print(s, await tailOf(s.file, opts.lines));
  // An app's logs are its files alone; infrastructure's are the engine's too (compose keeps them).
  const engineLogs = !only || only.service !== undefined;
  const streams = !engineLogs ? [] : (await Promise.all(targets.map((t) =>
    t.engine.logs(t.own, { lines: opts.lines, follow: opts.follow, ...(only?.service ? { service: only.service } : {}) }, (prefix, line) => opts.out(`${prefix} | ${line}`))))).filter((s) => s !== undefined);
  if (sources.length === 0 && streams.length === 0) return false;
  if (!opts.follow) { await Promise.all(streams.map((s) => s.done)); return true; }

  // Follow until interrupted (Ctrl-C, SIGTERM, a closed terminal: the usual end of following, so exit 0):
  // poll the files for new bytes (fs.watch misses appends on some systems).
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (const s of sources) {
        try { print(s, readNew(s)); } catch { /* file went away: keep the others */ }
      }
    }, 250);
    const end = () => { clearInterval(timer); for (const s of streams) s.stop(); resolve(); };
    if (interrupted()) end();
    else onInterrupt(end);
  });
  return true;
}
