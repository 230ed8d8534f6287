/**
 * Each test file that uses PM2 gets its own daemon under a short PM2_HOME in /tmp (a unix socket path
 * over ~100 bytes hangs PM2), killed with everything it runs when the file ends.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';

export function usePrivatePm2(): { home: string; kill: () => void } {
  const home = mkdtempSync('/tmp/di-pm2-');
  process.env.PM2_HOME = home;
  return {
    home,
    kill: () => {
      const daemon = daemonPid(home);
      spawnSync(process.execPath, [join(REPO, 'node_modules', 'pm2', 'bin', 'pm2'), 'kill'], {
        env: { ...process.env, PM2_HOME: home }, stdio: 'ignore', timeout: 30_000,
      });
      // `pm2 kill` can return while the daemon is still exiting: wait until it is gone.
      if (daemon !== undefined) waitGone(daemon, 10_000);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const daemonPid = (home: string): number | undefined => {
  try {
    const pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** Block until pid no longer exists (a zombie counts as gone), or the deadline passes. */
function waitGone(pid: number, deadlineMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + deadlineMs;
  const running = () => {
    try { return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
  };
  while (running() && Date.now() < until) Atomics.wait(pause, 0, 0, 20);
}

/** Processes whose command line or working directory lies under dir (a test's root). */
export function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try { cwd = readlinkSync(`/proc/${pid}/cwd`); } catch { /* not readable */ }
      if (cmd.includes(dir) || cwd.startsWith(dir)) found.push(`${pid} ${cmd}`);
    } catch { /* exited */ }
  }
  return found;
}
