/**
 * Passwords the tool makes for the servers it runs itself (the native engine's Postgres and Redis): one per
 * machine and user, in the state directory, readable by that user alone. Made on first need, kept
 * afterwards (servers and their clients must agree across runs); a file another user could read or
 * write is refused rather than trusted.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError } from './errors.js';
import { exposure } from './fs/private.js';
import { stateDir } from './state-dir.js';

export type SecretName = 'postgres' | 'redis';

export const secretFile = (name: SecretName, env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'secrets', name);

/** The machine's password of that name, made now when there is none yet (two runs at once agree on one). */
export function machineSecret(name: SecretName, env?: NodeJS.ProcessEnv): string {
  const file = secretFile(name, env);
  const found = readSecret(file);
  if (found !== undefined) return found;
  const dir = join(stateDir(env), 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // Written whole under a name of its own, then linked: a second run sees all of it or none of it.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  const made = readSecret(file);
  if (made === undefined) throw new OperationalError(`${file} vanished while it was being made`, 'Run the command again.');
  return made;
}

function readSecret(file: string): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const whose = exposure(st);
  if (whose) {
    throw new OperationalError(`refusing the password in ${file}: ${whose}, so other users may have read it`,
      `chmod 600 it (and chown it to you): the native servers made with it keep asking for it. See docs/TROUBLESHOOTING.md to change it.`);
  }
  const value = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{32,}$/.test(value)) {
    throw new OperationalError(`${file} does not hold a password this tool made`, 'See docs/TROUBLESHOOTING.md (a refused password file).');
  }
  return value;
}
