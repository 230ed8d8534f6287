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
      spawnSync(process.execPath, [join(REPO, 'node_modules', 'pm2', 'bin', 'pm2'), 'kill'], {
        env: { ...process.env, PM2_HOME: home }, stdio: 'ignore', timeout: 30_000,
      });
      rmSync(home, { recursive: true, force: true });
    },
  };
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
