/** Load and validate the stack declaration. */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { plan } from '../plan/plan.js';
import type { StackDeclaration } from './types.js';
import { validateDeclaration } from './validate.js';

export const DEFAULT_CONFIG_NAME = 'stack.config.ts';

export interface LoadedStack {
  decl: StackDeclaration;
  /** How the declaration is named in messages. */
  source: string;
}

/** DEV_INSTANCES_CONFIG names another (compiled, JavaScript) declaration module. */
export async function loadStack(): Promise<LoadedStack> {
  const other = process.env.DEV_INSTANCES_CONFIG;
  const source = other ?? DEFAULT_CONFIG_NAME;
  let mod: { default?: unknown };
  try {
    mod = other
      ? await import(pathToFileURL(isAbsolute(other) ? other : resolve(other)).href)
      : await import('../../stack.config.js');
  } catch (err) {
    throw new ConfigError([`${source}: cannot load the declaration: ${(err as Error).message}`]);
  }
  return { decl: checkDeclaration(mod.default, source), source };
}

export function checkDeclaration(decl: unknown, source: string): StackDeclaration {
  const problems = validateDeclaration(decl);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p.key}: ${p.message}`));
  // What the env functions read is known only by running them: once, for instance 0, before any command acts.
  try {
    plan(decl as StackDeclaration, 0);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.problems.map((p) => `${source}: ${p}`));
    throw new ConfigError([`${source}: env (or a compose override) failed for instance 0: ${(err as Error).message}`]);
  }
  return decl as StackDeclaration;
}
