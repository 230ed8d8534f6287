/** Where the tool's own files are (its package), and its entries; the project a command is for is src/project.ts. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The tool's package folder: the nearest above this module with a package.json (a compiled file or a bundle's chunk alike). */
export function toolRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The tool's version, from its package.json. */
export const toolVersion = (): string => {
  try { return (JSON.parse(readFileSync(join(toolRoot(), 'package.json'), 'utf8')) as { version: string }).version; } catch { return '?'; }
};

/** A compiled entry of this install (dist/scripts/NAME.js), for running it as a child or under PM2. */
const entry = (name: string): string => join(toolRoot(), 'dist', 'scripts', `${name}.js`);
/** The CLI's entry. */
export const cliScript = (): string => entry('dev-instance-manager');
/** The local proxy's entry. */
export const proxyScript = (): string => entry('proxy');

/** The variables that decide which checkout, declaration, engine and daemons a CLI run uses. */
export const CLI_ENV_KEYS = [
  'DEV_INSTANCES_ROOT', 'DEV_INSTANCES_CONFIG', 'DEV_INSTANCES_ENGINE', 'DEV_INSTANCES_STATE_DIR', 'PM2_HOME',
  'DEV_INSTANCES_PROXY', 'DEV_INSTANCES_PROXY_PORT', 'DOCKER_HOST',
] as const;

/** This run's values of CLI_ENV_KEYS (paths made absolute), so a later run elsewhere means the same. */
export function cliEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of CLI_ENV_KEYS) {
    const v = env[k];
    if (v) out[k] = k === 'DEV_INSTANCES_CONFIG' || k === 'DEV_INSTANCES_ROOT' || k === 'DEV_INSTANCES_STATE_DIR' || k === 'PM2_HOME' ? resolve(v) : v;
  }
  return out;
}
