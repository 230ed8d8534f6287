/**
 * nginx as the proxy's front, run as a child of the proxy process (so PM2's one app holds both, and
 * stopping it stops both). The configuration is generated from the route table and written again on
 * every change, then nginx reloads it (SIGHUP): new workers take new connections, old ones finish
 * theirs (an open HMR socket keeps its worker until the page closes it). Never a restart.
 *
 * Why nginx at all: Node spends ~0.45 ms of CPU per proxied request on this kind of machine, nginx a
 * fraction of that (docs/BENCHMARKS.md). The Node proxy stays behind it for everything but the
 * named apps' traffic.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OperationalError } from '../../errors.js';
import { pollUntil } from '../../poll.js';
import { onPath } from '../../proc/on-path.js';
import { own } from '../../proc/run.js';
import { stopProcess } from '../../proc/stop.js';
import { tcpAccepts } from '../../readiness.js';
import type { Route } from '../routes.js';
import { type NginxConfigInput, nginxConfig } from './config.js';

const READY_DEADLINE_MS = 10_000;
/** Where distributions put nginx, which a user's PATH may lack (/usr/sbin is root's). */
const SBIN = ['/usr/sbin', '/usr/local/sbin', '/opt/homebrew/bin', '/usr/local/bin'];

/** The nginx binary: on PATH, or where distributions install it. */
export const findNginx = (path = process.env.PATH ?? ''): string | undefined => onPath('nginx', [path, ...SBIN].join(':'));

export interface NginxFrontOptions {
  bin: string;
  /** nginx's folder (configuration, pid file, temporary files), created 0700. */
  dir: string;
  port: number;
  /** Addresses wanted; one this machine does not have (::1 without IPv6) is left out. */
  addresses: readonly string[];
  /** The Node proxy's port on 127.0.0.1. */
  back: number;
  routes: ReadonlyMap<string, Route>;
  /** HTTPS: its port and the certificate files (written before every update that adds a name). */
  https?: NginxConfigInput['https'];
}

export interface NginxFront {
  pid: number;
  addresses: string[];
  /** Rewrite the configuration for a new route table and reload it (nothing when nothing changed). */
  update(routes: ReadonlyMap<string, Route>): void;
  /** Reload as it is (a certificate renewed in place). */
  reload(): void;
  close(): Promise<void>;
}

/** Whether this machine has the address (binding port 0 on it works). */
function hasAddress(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRNOTAVAIL' && err.code !== 'EAFNOSUPPORT'));
    s.listen(0, address, () => s.close(() => resolve(true)));
  });
}

/**
 * An nginx this folder's configuration started whose parent died without stopping it (a SIGKILL):
 * it still holds the port. Stopped, when /proc shows it runs our configuration.
 */
async function stopStale(dir: string, conf: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf)) return;
  } catch {
    return;
  }
  await stopProcess(pid, { graceMs: 2_000, deadlineMs: 5_000, what: `an earlier nginx of this proxy (pid ${pid})` });
}

export async function startNginxFront(o: NginxFrontOptions): Promise<NginxFront> {
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const conf = join(o.dir, 'nginx.conf');
  await stopStale(o.dir, conf);
  const addresses: string[] = [];
  for (const a of o.addresses) if (await hasAddress(a)) addresses.push(a);
  const root = process.getuid?.() === 0;
  let written = '';
  const write = (routes: ReadonlyMap<string, Route>): boolean => {
    const text = nginxConfig({ port: o.port, addresses, back: o.back, dir: o.dir, root, routes, ...(o.https ? { https: o.https } : {}) });
    if (text === written) return false;
    const tmp = `${conf}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, conf);
    written = text;
    return true;
  };
  write(o.routes);

  let said = '';
  const nginx = own(o.bin, ['-p', `${o.dir}/`, '-c', conf], (d) => { said = (said + d.toString()).slice(-4_000); process.stderr.write(d); });

  try {
    await pollUntil(async () => {
      if (!nginx.running()) throw new OperationalError(`nginx (${o.bin}) did not start: ${said.trim().split('\n').slice(-3).join(' / ') || 'it ended at once'}`);
      return tcpAccepts(o.port, addresses[0] ?? '127.0.0.1', 500).then(() => true, () => undefined);
    }, { deadlineMs: READY_DEADLINE_MS, intervalMs: 25, timeout: () => new OperationalError(`nginx did not listen on port ${o.port} within ${READY_DEADLINE_MS / 1000} s`) });
  } catch (err) {
    await nginx.stop();
    throw err;
  }

  return {
    pid: nginx.pid,
    addresses,
    update: (routes) => {
      // A full or unwritable disk must not end the proxy: nginx keeps the last routes it read (the
      // Node proxy behind it has the new ones) until a later change can be written.
      try {
        if (write(routes)) nginx.signal('SIGHUP');
      } catch (err) {
        process.stderr.write(`dev-instances proxy: could not write ${conf} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nginx keeps its last routes\n`);
      }
    },
    reload: () => nginx.signal('SIGHUP'),
    // SIGTERM is nginx's fast shutdown: workers close their connections now.
    close: () => nginx.stop(),
  };
}
