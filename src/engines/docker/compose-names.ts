/**
 * Which compose files a project has: the ones its declaration names, else the first of compose's own
 * default names that exists. Apart from the files' contents (compose-files.ts, which loads YAML), so
 * choosing an engine can ask it cheaply.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StackDeclaration } from '../../config/types.js';
import { ConfigError } from '../../errors.js';

/** What compose itself reads when given no file, in its order of preference. */
export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** Whether the project has any compose file: named in its declaration, or one of the default names. */
export const hasComposeFiles = (root: string, decl: Pick<StackDeclaration, 'composeFiles'>): boolean =>
  decl.composeFiles !== undefined || DEFAULT_COMPOSE_FILES.some((f) => existsSync(join(root, f)));

/** The files the declaration names (composeFiles), else the first of compose's own default names that exists. */
export function declaredComposeFiles(root: string, decl: Pick<StackDeclaration, 'composeFiles'>): string[] {
  if (decl.composeFiles !== undefined) return typeof decl.composeFiles === 'string' ? [decl.composeFiles] : [...decl.composeFiles];
  const found = DEFAULT_COMPOSE_FILES.find((f) => existsSync(join(root, f)));
  if (!found) throw new ConfigError([`composeFiles: no compose file in ${root} (looked for ${DEFAULT_COMPOSE_FILES.join(', ')}); name yours in the declaration's composeFiles`]);
  return [found];
}
