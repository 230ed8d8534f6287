/**
 * Which project a command is for: the nearest folder at or above the working directory that holds a
 * declaration. Its `.instances/` (instances, backups, snapshots) belongs to that project, so every
 * command works from any subfolder and two projects never mix. DEV_INSTANCES_ROOT names the project
 * folder, and DEV_INSTANCES_CONFIG the declaration, outright (tests, other checkouts; with the
 * declaration alone, the project is the nearest one, else the working directory).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** The declaration's file names, in the order they are looked for (stack.config.ts: the name of the first versions). */
export const CONFIG_NAMES = ['dev-instances.config.ts', 'dev-instances.config.mts', 'dev-instances.config.mjs', 'dev-instances.config.js', 'stack.config.ts'] as const;

export interface Project {
  /** The project folder: `.instances/` lives here. */
  root: string;
  /** The declaration file, absolute. */
  config: string;
}

const configIn = (dir: string): string | undefined => CONFIG_NAMES.map((n) => join(dir, n)).find((f) => existsSync(f));

/** The nearest folder at or above `from` with a declaration, and that declaration. */
function nearest(from: string): Project | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const config = configIn(dir);
    if (config) return { root: dir, config };
    if (dirname(dir) === dir) return undefined;
  }
}

export function findProject(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Project {
  const root = env.DEV_INSTANCES_ROOT ? resolve(env.DEV_INSTANCES_ROOT) : undefined;
  const config = env.DEV_INSTANCES_CONFIG ? resolve(env.DEV_INSTANCES_CONFIG) : undefined;
  if (root && config) return { root, config };
  const found = (root && configIn(root)) ? { root, config: configIn(root) as string } : nearest(cwd);
  // A declaration named outright belongs to the project here: the nearest one, else this folder.
  if (config) return { root: root ?? found?.root ?? resolve(cwd), config };
  if (found) return { root: root ?? found.root, config: found.config };
  throw new ConfigError([
    `no declaration (${CONFIG_NAMES[0]}) in ${resolve(cwd)} or any folder above it: run \`npx dev-instances init\` in your project's folder, or name one with DEV_INSTANCES_CONFIG`,
  ]);
}
