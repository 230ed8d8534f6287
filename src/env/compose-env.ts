/**
 * `composeEnv`, for a project's declaration: the variables compose fills `${VAR}` with, so a secret
 * can stay in the project's `.env` (not committed) and the declaration still use it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EnvDocument } from './dotenv-doc.js';

/**
 * The process's environment over the variables of the `.env` file at `file` (none when it does not
 * exist), as compose reads them: `composeEnv(new URL('.env', import.meta.url)).PG_PASSWORD`.
 */
export function composeEnv(file: string | URL): Record<string, string | undefined> {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { ...EnvDocument.parse(text).toObject(), ...process.env };
}
