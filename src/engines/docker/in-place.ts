/**
 * Warm starts without compose: when every container of the set already exists and nothing compose
 * would look at has changed since the last `compose up` (compose files, override, services, image IDs),
 * `docker start` of those containers is what compose would do, in a fraction of the time (compose v1
 * is a Python program that takes over half a second to start). The fingerprint of the last `up`
 * lives in the set's folder; without it, or with any difference, compose runs as usual.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic.js';
import { run } from '../../proc/run.js';
import { dockerEnv, engineKey } from './placement.js';
import type { BaseService } from './compose-files.js';
import type { EngineTarget } from '../types.js';

const FINGERPRINT_FILE = 'compose.fingerprint';
const fingerprintPath = (t: EngineTarget) => join(t.root, t.scope.dir, FINGERPRINT_FILE);

/** What compose decides by: its files as they are now, the services asked for, the images' IDs. */
export async function composeFingerprint(t: EngineTarget, composeFiles: readonly string[], services: readonly string[], images: readonly string[]): Promise<string | undefined> {
  const ids = images.length === 0 ? { code: 0, stdout: '' } : await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ...images], { env: dockerEnv(t.scope), reject: false, timeoutMs: 30_000 });
  if (ids.code !== 0) return undefined;
  const files = await Promise.all(composeFiles.map((f) => readFile(f, 'utf8').catch(() => undefined)));
  if (files.some((f) => f === undefined)) return undefined;
  return createHash('sha256').update(JSON.stringify([files, [...services].sort(), ids.stdout, engineKey(t.scope)])).digest('hex');
}

export const recordFingerprint = (t: EngineTarget, print: string): Promise<void> => writeFileAtomic(fingerprintPath(t), `${print}\n`);

export async function lastFingerprint(t: EngineTarget): Promise<string | undefined> {
  return (await readFile(fingerprintPath(t), 'utf8').catch(() => '')).trim() || undefined;
}

/**
 * The containers `docker start` may start in compose's place: one per service, for every service,
 * and no dependency between them (compose would order those by health). Pure.
 */
export function startableInPlace(services: readonly string[], base: Record<string, BaseService>,
  containers: readonly { name: string; service: string }[]): string[] | undefined {
  const names: string[] = [];
  for (const svc of services) {
    const mine = containers.filter((c) => c.service === svc);
    if (mine.length !== 1 || (base[svc]?.dependsOn.length ?? 0) > 0) return undefined;
    names.push(mine[0]?.name ?? '');
  }
  return names;
}
