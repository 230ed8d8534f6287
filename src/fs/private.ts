/**
 * Folders only their owner may enter: what the tool writes there (servers' data, app logs with their
 * secrets) is then unreadable to other local users, whatever mode the files get from the umask or
 * from the server that writes them.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Make the folder 0700 (one made earlier too). Its parents are made as usual, never 0700: a server
 * that runs as another user (Postgres, when the tool runs as root) must still pass through them.
 */
export async function privateDir(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await mkdir(path, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
  await chmod(path, 0o700);
}

/**
 * Why a file that holds a secret cannot be trusted: its mode lets others read or change it, or
 * another user owns it. Undefined when only this user could have.
 */
export function exposure(st: { mode: number; uid: number }): string | undefined {
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}`;
  return undefined;
}
