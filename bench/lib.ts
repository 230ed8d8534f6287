/** Small helpers for benchmarks: time real commands, compare within one run, print a table. */
import { spawnSync } from 'node:child_process';

export interface Timed {
  label: string;
  samples: number[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Time each command `rounds` times, interleaved so drift in machine load hits all of them alike. */
export function timeInterleaved(
  commands: { label: string; cmd: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string }[], rounds: number,
): Timed[] {
  const out = commands.map((c) => ({ label: c.label, samples: [] as number[] }));
  for (let r = 0; r < rounds + 1; r++) {
    commands.forEach((c, i) => {
      const t0 = process.hrtime.bigint();
      const res = spawnSync(c.cmd, c.args, { encoding: 'utf8', env: { ...process.env, ...c.env }, ...(c.cwd ? { cwd: c.cwd } : {}) });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 0) throw new Error(`${c.label} failed (${res.status}): ${res.stderr}`);
      if (r > 0) out[i]?.samples.push(ms); // round 0 warms the file cache
    });
  }
  return out;
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
