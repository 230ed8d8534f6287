/** Compose files as text, read as compose reads them: YAML with merge keys and v2's tags, variables filled in. Pure. */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';

type Yaml = typeof YamlLib;
let loaded: Yaml | undefined;
/** The YAML library, loaded when a compose file is first read or written: commands that read none (a native start, `status`) never pay for it. */
export const yaml = (): Yaml => (loaded ??= createRequire(import.meta.url)('yaml') as Yaml);

// `!override` and `!reset` (compose v2) read as the value they carry.
const COMPOSE_TAGS = ['!override', '!reset'].flatMap((tag) => [
  { tag, collection: 'seq' as const, resolve: (v: unknown) => v },
  { tag, collection: 'map' as const, resolve: (v: unknown) => v },
  { tag, resolve: (v: string) => v },
]);

/** A compose file's YAML as compose reads it: `<<` merge keys resolved, `!override`/`!reset` read as their value. Throws yaml's error. */
export const parseComposeText = (text: string): unknown => yaml().parse(text, { customTags: COMPOSE_TAGS, merge: true, logLevel: 'error' });

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR`, from the project's .env and the environment, as compose fills them. */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a?: string, op?: string, dflt?: string, b?: string) => {
    if (m === '$$') return '$';
    const v = env[a ?? b ?? ''];
    if (op === ':-') return v ? v : dflt ?? '';
    if (op === '-') return v ?? dflt ?? '';
    return v ?? '';
  });
}
