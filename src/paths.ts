/** Where the repository is: everything the tool writes lives under <root>/.instances. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/paths.js -> the repository root; DEV_INSTANCES_ROOT points elsewhere (tests, other checkouts). */
export function repoRoot(): string {
  const fromEnv = process.env.DEV_INSTANCES_ROOT;
  return fromEnv ? resolve(fromEnv) : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
