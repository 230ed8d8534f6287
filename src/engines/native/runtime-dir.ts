/** DEV_INSTANCES_RUNTIME_DIR, checked. Light: the CLI checks it before anything runs. */
import { isAbsolute } from 'node:path';
import { UsageError } from '../../errors.js';

/**
 * Where root runs put what the unprivileged user must reach when the checkout itself is out of its
 * reach (a clone under /root or a 0700 temporary directory): a copy of the binaries, and the cluster
 * data behind a symlink at its usual place in .instances/. A relative path would mean one per working
 * directory: refused (exit 2).
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.DEV_INSTANCES_RUNTIME_DIR;
  if (raw === undefined || raw === '') return '/var/lib/dev-instances';
  if (!isAbsolute(raw)) throw new UsageError(`invalid DEV_INSTANCES_RUNTIME_DIR '${raw}': expected an absolute path (the native engine's Postgres data and binaries live there)`);
  return raw;
}
