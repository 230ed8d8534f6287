/**
 * Atomic file writes: a temp file beside the target, then rename, so readers never see half a file.
 * durable: the content is on disk before the name points at it (fsync), for a record a crash must not
 * lose (an instance's state, a PM2 handover). Files the tool writes again on every run (env files,
 * the PM2 app list, caches) skip it: under heavy disk writes (a database being copied) one fsync can
 * take a quarter of a second.
 */
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, content: string, mode = 0o600, opts: { durable?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(content);
    if (opts.durable) await handle.sync();
    await handle.close();
    await chmod(tmp, mode); // the umask may have narrowed or the caller widened; be exact
    await rename(tmp, path); // replaces any older file, whatever its mode was
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}
