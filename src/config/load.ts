/**
 * Load and validate the project's declaration, at run time, from the project itself: a `.js`/`.mjs`
 * file is imported as it is; a TypeScript one (Node 20 strips no types) is bundled by esbuild — its
 * local imports included, packages left to Node — into a cache under the project's node_modules,
 * keyed by the content of every file that went into it, so a warm run compares those files and imports
 * the cached module, and never loads esbuild. A syntax error, or an error thrown while it loads, names the file and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { plan } from '../plan/plan.js';
import { toolRoot, toolVersion } from '../paths.js';
import type { Project } from '../project.js';
import type { StackDeclaration } from './types.js';
import { validateDeclaration } from './validate.js';

export interface LoadedStack {
  decl: StackDeclaration;
  /** How the declaration is named in messages: its path from the project folder. */
  source: string;
}

/** A short name for a text, for file names: only a build needs it (crypto is not loaded by a warm run). */
const sha = async (text: string): Promise<string> => (await import('node:crypto')).createHash('sha256').update(text).digest('hex');

/** What a cached build was made from: each input file's content, the tool that built it, and the module it gave. */
interface Manifest { inputs: Record<string, string>; tool: string; module: string }

/** The tool's version: a new one builds afresh (how it bundles may have changed). */
const TOOL = toolVersion();

/**
 * In the nearest node_modules at or above the declaration, where its packages are (so the cached
 * module resolves them as the declaration does; a project in a folder of a monorepo included), else
 * in .instances/.
 */
function cacheDir(project: Project): string {
  for (let dir = dirname(project.config); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'dev-instances');
    if (dirname(dir) === dir) return join(project.root, '.instances', '.cache');
  }
}

function cached(manifestFile: string): string | undefined {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (m.tool !== TOOL) return undefined;
    // Compared byte for byte: a declaration is a few kilobytes, and no hash module needs loading.
    for (const [file, content] of Object.entries(m.inputs)) if (readFileSync(file, 'utf8') !== content) return undefined;
  } catch {
    return undefined;
  }
  return existsSync(m.module) ? m.module : undefined;
}

interface EsbuildMessage { text: string; location?: { file: string; line: number; column: number } | null }

/** Bundle a TypeScript declaration into the cache; the module's path. */
async function build(project: Project, dir: string, manifestFile: string): Promise<string> {
  const esbuild = await import('esbuild');
  const here = dirname(project.config);
  // Each file is read here, once: what is hashed is exactly what was built, even if it is saved meanwhile.
  // import.meta.url (and dirname, filename) keep naming the file itself, not the cache.
  const inputs: Record<string, string> = {};
  const plugin = {
    name: 'dev-instances-inputs',
    setup(b: {
      onLoad: (o: { filter: RegExp }, f: (a: { path: string }) => Promise<{ contents: string; loader: 'ts' | 'tsx' | 'js' | 'jsx' | 'json' }>) => void;
      onResolve: (o: { filter: RegExp }, f: () => { path: string }) => void;
    }) {
      // `import { defineStack } from 'dev-instances'`: the helpers of the tool that loads it, wherever
      // the project keeps (or does not keep) its own copy; bundled in, so a warm load reads one module.
      b.onResolve({ filter: /^dev-instances$/ }, () => ({ path: join(toolRoot(), 'dist', 'src', 'index.js') }));
      b.onLoad({ filter: /\.(?:[cm]?[jt]sx?|json)$/ }, async ({ path }) => {
        const raw = readFileSync(path, 'utf8');
        inputs[path] = raw;
        const contents = raw.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_m, k: string) =>
          JSON.stringify(k === 'url' ? pathToFileURL(path).href : k === 'dirname' ? dirname(path) : path));
        const ext = path.slice(path.lastIndexOf('.') + 1);
        return { contents, loader: ext === 'json' ? 'json' : ext.endsWith('tsx') ? 'tsx' : ext.endsWith('jsx') ? 'jsx' : ext.includes('ts') ? 'ts' : 'js' };
      });
    },
  };
  let out;
  try {
    out = await esbuild.build({
      entryPoints: [project.config], bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20',
      write: false, sourcemap: 'inline', outfile: join(dir, 'declaration.mjs'), absWorkingDir: here, logLevel: 'silent', plugins: [plugin],
      // A local CommonJS file that requires a package still can.
      banner: { js: "import { createRequire as __diCreateRequire } from 'node:module'; const require = __diCreateRequire(import.meta.url);" },
    });
  } catch (err) {
    const first = (err as { errors?: EsbuildMessage[] }).errors?.[0];
    const at = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}` : relative(project.root, project.config);
    throw new ConfigError([`${at}: ${first?.text ?? (err as Error).message}`]);
  }
  const text = out.outputFiles?.[0]?.text ?? '';
  const module = join(dir, `declaration-${(await sha(text)).slice(0, 16)}.mjs`);
  const { writeFileAtomic } = await import('../fs/atomic.js');
  await writeFileAtomic(module, text, 0o644);
  await writeFileAtomic(manifestFile, `${JSON.stringify({ inputs, tool: TOOL, module } satisfies Manifest)}\n`, 0o644);
  return module;
}

/**
 * Where a declaration that failed to load threw, in the project's own files: the bundle is loaded
 * again with source maps on (only now: they cost every run something), so the stack names the
 * TypeScript file and line.
 */
async function whereItThrew(err: unknown, project: Project, file: string): Promise<string | undefined> {
  if (file === project.config) return whereThrown(err, project);
  process.setSourceMapsEnabled(true);
  try {
    await import(`${pathToFileURL(file).href}?mapped`);
  } catch (again) {
    return whereThrown(again, project);
  }
  return whereThrown(err, project);
}

/** The first place in the stack of an error that is a file of the project. */
function whereThrown(err: unknown, project: Project): string | undefined {
  const stack = (err as Error)?.stack ?? '';
  for (const m of stack.matchAll(/(?:\(|at )(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)/g)) {
    const [, file = '', line] = m;
    if (file.includes('/node_modules/') || file.includes('/.instances/.cache/')) continue;
    return `${relative(project.root, file) || file}:${line}`;
  }
  return undefined;
}

/** The declaration module of the project: imported, its default export checked. */
export async function loadStack(project: Project): Promise<LoadedStack> {
  const source = relative(project.root, project.config) || project.config;
  let file = project.config;
  if (/\.m?ts$/.test(file)) {
    const dir = cacheDir(project);
    // Named by where the declaration is (an unchanged path finds its manifest without a hash).
    const manifestFile = join(dir, `${file.replace(/[^A-Za-z0-9]+/g, '_').slice(-80)}.json`);
    file = cached(manifestFile) ?? await build(project, dir, manifestFile);
  }
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href) as { default?: unknown };
  } catch (err) {
    throw new ConfigError([`${await whereItThrew(err, project, file) ?? source}: the declaration failed to load: ${(err as Error).message?.split('\n')[0] ?? String(err)}`]);
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
