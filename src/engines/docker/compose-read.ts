/**
 * The project's compose files read as compose reads them: each declared file with the files it
 * `include:`s (before it, read but never named with `-f`: compose brings them in itself), and every
 * service that `extends:` another seen with what it takes from it (ports, volumes, its container
 * name, networks, image, healthcheck), so that what a set must make its own is found wherever it is
 * written. The file as written is kept beside that view: per-set copies are made from it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { StackDeclaration } from '../../config/types.js';
import { ConfigError } from '../../errors.js';
import { EnvDocument } from '../../env/dotenv-doc.js';
import { declaredComposeFiles } from './compose-names.js';
import { interpolate, parseComposeText } from './compose-text.js';

export type Raw = Record<string, unknown>;
export interface RawService {
  image?: unknown; depends_on?: unknown; healthcheck?: unknown; ports?: unknown; container_name?: unknown; volumes?: unknown; networks?: unknown;
  extends?: unknown;
}
export interface RawDoc {
  services?: Record<string, RawService | null>; volumes?: Record<string, Raw | null>; networks?: Record<string, Raw | null>; include?: unknown;
}

/** One compose file: its path as the user wrote it (relative to the project), absolute, and parsed. */
export interface ComposeSource {
  path: string;
  abs: string;
  /** The file as compose sees it: `extends:` resolved into each service that uses it. */
  doc: RawDoc;
  /** The file as written, when that differs from doc (per-set copies are made from it). */
  written?: RawDoc;
  /** Read through another file's `include:`: compose loads it itself, so it is never named with -f. */
  included?: boolean;
  /** What compose fills `${VAR}` from: the project's .env (beside the first file), under the environment. */
  env?: Readonly<Record<string, string | undefined>>;
}

export const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read and parse every compose file of the project, in order, with what they include. A missing or unreadable one is a ConfigError naming it. */
export async function readComposeSources(root: string, decl: Pick<StackDeclaration, 'composeFiles'>): Promise<ComposeSource[]> {
  const paths = declaredComposeFiles(root, decl);
  const dotenv = await readFile(join(dirname(resolve(root, paths[0] ?? '.')), '.env'), 'utf8').then((t) => EnvDocument.parse(t).toObject(), () => ({}));
  const env = { ...dotenv, ...process.env };
  const files = new Files(root, env);
  const lists = await Promise.all(paths.map((path, i) => files.withIncludes(resolve(root, path), decl.composeFiles === undefined ? 'composeFiles' : `composeFiles[${i}]`, [])));
  return lists.flat();
}

/** The paths of one `include:` entry: a path, or `{ path: one or many }`. */
const includedPaths = (entry: unknown): string[] => {
  const p = isObject(entry) ? entry.path : entry;
  return (Array.isArray(p) ? p : [p]).filter((x): x is string => typeof x === 'string');
};

/** Lists appended (ports, volumes), scalars and mappings of the service itself winning: compose's merge of what a set needs. */
function extended(base: RawService, own: RawService): RawService {
  const out: RawService = { ...base, ...own };
  for (const k of ['ports', 'volumes'] as const) {
    const list = [...(Array.isArray(base[k]) ? base[k] : []), ...(Array.isArray(own[k]) ? own[k] : [])];
    if (list.length) out[k] = list;
  }
  // A dependency is never inherited (compose's rule for extends).
  if (own.depends_on === undefined) delete out.depends_on;
  delete out.extends;
  return out;
}

class Files {
  private readonly parsed = new Map<string, Promise<RawDoc>>();
  constructor(private readonly root: string, private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** The file at abs, after the files it includes (depth first), each marked included. */
  async withIncludes(abs: string, key: string, chain: readonly string[]): Promise<ComposeSource[]> {
    if (chain.includes(abs)) throw new ConfigError([`${key}: ${abs} includes itself (${[...chain, abs].join(' -> ')})`]);
    const written = await this.read(abs, key);
    const entries = Array.isArray(written.include) ? written.include : [];
    const before: ComposeSource[] = [];
    for (const [j, entry] of entries.entries()) {
      for (const p of includedPaths(entry)) {
        const inc = resolve(dirname(abs), interpolate(p, this.env));
        before.push(...(await this.withIncludes(inc, `include[${j}] of ${abs}`, [...chain, abs])).map((s) => ({ ...s, included: true })));
      }
    }
    const doc = await this.resolveExtends(abs, written);
    return [...before, { path: relative(this.root, abs) || abs, abs, doc, ...(doc === written ? {} : { written }), env: this.env }];
  }

  private read(abs: string, key: string): Promise<RawDoc> {
    let p = this.parsed.get(abs);
    if (!p) {
      p = readFile(abs, 'utf8').then((text) => {
        let doc: unknown;
        try {
          doc = parseComposeText(text);
          if (doc !== null && doc !== undefined && !isObject(doc)) throw new Error('not a mapping');
        } catch (err) {
          throw new ConfigError([`${key}: ${abs} is not a compose file: ${(err as Error).message.split('\n')[0]}`]);
        }
        return (doc ?? {}) as RawDoc;
      }, (err: NodeJS.ErrnoException) => {
        throw new ConfigError([`${key}: ${err.code === 'ENOENT' ? `${abs} does not exist` : `cannot read ${abs} (${err.code})`}; composeFiles lists the project's compose files, relative to ${this.root}`]);
      });
      this.parsed.set(abs, p);
    }
    return p;
  }

  /** doc itself when no service extends another, else a copy with each such service merged with its base. */
  private async resolveExtends(abs: string, doc: RawDoc): Promise<RawDoc> {
    const services = doc.services ?? {};
    if (!Object.values(services).some((s) => s?.extends !== undefined)) return doc;
    const out: Record<string, RawService | null> = {};
    for (const name of Object.keys(services)) out[name] = await this.service(abs, doc, name, []);
    return { ...doc, services: out };
  }

  /** One service with what it extends merged in (a base in this file, or in `file:` beside it). */
  private async service(abs: string, doc: RawDoc, name: string, chain: readonly string[]): Promise<RawService | null> {
    const own = doc.services?.[name];
    if (!own || own.extends === undefined) return own ?? null;
    const here = `services.${name}.extends in ${abs}`;
    if (chain.includes(`${abs}#${name}`)) throw new ConfigError([`${here}: a circle (${[...chain, `${abs}#${name}`].join(' -> ')})`]);
    const ext = own.extends;
    const baseName = typeof ext === 'string' ? ext : isObject(ext) && typeof ext.service === 'string' ? ext.service : undefined;
    if (!baseName) throw new ConfigError([`${here}: names no service (extends: NAME, or extends: { service: NAME, file: FILE })`]);
    const file = isObject(ext) && typeof ext.file === 'string' ? resolve(dirname(abs), interpolate(ext.file, this.env)) : abs;
    const baseDoc = file === abs ? doc : await this.read(file, here);
    if (!baseDoc.services?.[baseName]) throw new ConfigError([`${here}: ${file} has no service ${baseName}`]);
    const base = await this.service(file, baseDoc, baseName, [...chain, `${abs}#${name}`]);
    return extended(base ?? {}, own);
  }
}
