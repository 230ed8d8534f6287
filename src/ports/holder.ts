/**
 * Is a port free, and if not, who holds it? Probes every loopback address family (a server bound
 * only to ::1 looks free to a 127.0.0.1 probe), then looks the listener up in /proc on Linux.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tcpAccepts } from '../readiness.js';

export interface Holder {
  pid: number;
  command: string;
  /** Working directory, when readable (redis-server rewrites its command line, not its cwd). */
  cwd: string;
}

export async function portInUse(port: number): Promise<boolean> {
  const probes = await Promise.allSettled([tcpAccepts(port, '127.0.0.1', 500), tcpAccepts(port, '::1', 500)]);
  return probes.some((p) => p.status === 'fulfilled');
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try { text = readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Every process that holds port's listening socket (nginx's master and workers all do), when /proc tells (Linux, and permission to read their fds). */
export function listeningPids(port: number, first = false): number[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  let pids: string[];
  try { pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)); } catch { return []; }
  const out: number[] = [];
  for (const pid of pids) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    const holds = fds.some((fd) => {
      let target: string;
      try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return false; }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      return !!m?.[1] && inodes.has(m[1]);
    });
    if (holds) out.push(Number(pid));
    if (holds && first) break;
  }
  return out;
}

/** The process listening on port, when /proc tells (Linux, and permission to read its fds). */
export function portHolder(port: number): Holder | undefined {
  const [pid] = listeningPids(port, true);
  if (pid === undefined) return undefined;
  let command = '';
  let cwd = '';
  try { command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
  try { cwd = readlinkSync(`/proc/${pid}/cwd`); } catch { /* gone or not ours to read */ }
  return { pid, command, cwd };
}
