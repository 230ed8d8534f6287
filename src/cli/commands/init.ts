/**
 * `init`: in a project that has no declaration yet, write one from what the project already has —
 * its compose files (services, published ports, healthchecks, credentials), its apps (a PM2 ecosystem
 * file, else a Procfile, else package.json `dev` scripts), its .env files (URL keys that must name the
 * instance's own database or Redis) — plus the justfile's import line and the .gitignore line.
 * --dry-run prints instead; an existing declaration is kept unless --force; a second run changes nothing.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { DEFAULT_COMPOSE_FILES } from '../../engines/docker/compose-names.js';
import { parseComposeText } from '../../engines/docker/compose-text.js';
import { EnvDocument } from '../../env/dotenv-doc.js';
import { ConfigError, UsageError } from '../../errors.js';
import { type FoundApp, appsFromEcosystem, appsFromPackages, appsFromProcfile } from '../../init/apps.js';
import { type InitModel, declarationText, projectName } from '../../init/declaration.js';
import { readServices } from '../../init/compose.js';
import { urlKeys } from '../../init/env-urls.js';
import { CONFIG_NAMES } from '../../project.js';
import { columns } from '../../text/columns.js';
import type { SetupContext } from '../support/context.js';


const ECOSYSTEM_FILES = ['ecosystem.config.cjs', 'ecosystem.config.js', 'pm2.config.cjs', 'pm2.config.js'];
const ENV_FILES = ['.env.example', '.env'];
const JUST_IMPORT = "import 'node_modules/dev-instances/dev.just'";
const read = (path: string): string | undefined => { try { return readFileSync(path, 'utf8'); } catch { return undefined; } };

/** Compose files: --compose, else compose's default file and its override file, as compose itself reads them. */
function composeFiles(dir: string, flag: string | boolean | undefined): string[] {
  if (typeof flag === 'string') {
    const files = flag.split(',').map((f) => f.trim()).filter(Boolean);
    for (const f of files) if (!existsSync(join(dir, f))) throw new UsageError(`--compose: ${f} does not exist in ${dir}`);
    return files;
  }
  const first = DEFAULT_COMPOSE_FILES.find((f) => existsSync(join(dir, f)));
  if (!first) return [];
  const override = first.replace(/\.ya?ml$/, (ext) => `.override${ext}`);
  return [first, ...(existsSync(join(dir, override)) ? [override] : [])];
}

function parseCompose(dir: string, file: string): unknown {
  try {
    return parseComposeText(readFileSync(join(dir, file), 'utf8'));
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new ConfigError([`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: not a compose file: ${(err as Error).message.split('\n')[0]}`]);
  }
}

/** The project's apps, from the first source that has some. */
async function findApps(dir: string): Promise<FoundApp[]> {
  // Not one that hands PM2 over to this tool (require('dev-instances/pm2')): it has no apps of its own.
  const eco = ECOSYSTEM_FILES.find((f) => existsSync(join(dir, f)) && !(read(join(dir, f)) ?? '').includes('dev-instances/pm2'));
  if (eco) {
    const file = join(dir, eco);
    // What PM2 itself does with it: require() a CommonJS file, import an ES module.
    let mod: unknown;
    try {
      mod = eco.endsWith('.cjs') ? createRequire(file)(file) : await import(pathToFileURL(file).href).catch(() => createRequire(file)(file));
    } catch (err) {
      throw new ConfigError([`${eco}: cannot load the PM2 ecosystem file: ${(err as Error).message.split('\n')[0]}`]);
    }
    const apps = appsFromEcosystem(mod, eco, dir);
    if (apps.length) return apps;
  }
  const procfile = read(join(dir, 'Procfile'));
  if (procfile && appsFromProcfile(procfile).length) return appsFromProcfile(procfile);
  // package.json here and one or two folders down (apps/web, packages/api, services/x), not node_modules.
  const packages: { dir: string; text: string }[] = [];
  const visit = (rel: string, depth: number) => {
    const text = read(join(dir, rel, 'package.json'));
    if (text !== undefined) packages.push({ dir: rel, text });
    if (depth === 0) return;
    let names: string[];
    try { names = readdirSync(join(dir, rel)); } catch { return; }
    for (const n of names.sort()) {
      if (n.startsWith('.') || n === 'node_modules' || n === 'dist') continue;
      const sub = rel === '.' ? n : `${rel}/${n}`;
      try { if (statSync(join(dir, sub)).isDirectory()) visit(sub, depth - 1); } catch { /* gone */ }
    }
  };
  visit('.', 2);
  return appsFromPackages(packages);
}

export async function runSetup(ctx: SetupContext): Promise<void> {
  const dir = ctx.cwd;
  const dry = ctx.flags['dry-run'] === true;
  const existing = CONFIG_NAMES.find((n) => existsSync(join(dir, n)));
  const writing = !existing || ctx.flags.force === true;
  const made = writing ? await readProject(dir, ctx.flags.compose) : undefined;

  const changes: { path: string; content: string }[] = [];
  if (made) changes.push({ path: 'dev-instances.config.ts', content: made.text });
  // just's own names for it; a recipe called dev already there is the project's, and stays.
  const justName = ['justfile', 'Justfile', '.justfile', 'JUSTFILE'].find((n) => existsSync(join(dir, n)));
  const justfile = justName && read(join(dir, justName));
  const ownDev = justfile !== undefined && !justfile.includes(JUST_IMPORT) && /^@?dev(\s[^:\n]*)?:(?!=)/m.test(justfile);
  if (justfile === undefined) changes.push({ path: 'justfile', content: `${JUST_IMPORT}\n` });
  else if (!justfile.includes(JUST_IMPORT) && !ownDev) {
    changes.push({ path: justName ?? 'justfile', content: `${justfile.replace(/\n*$/, '\n')}\n${JUST_IMPORT}\n` });
  }
  const ownDevNote = `${justName ?? 'justfile'} has a recipe named dev of its own: left alone, so \`just dev\` is not this tool's there; use npx dev-instances N`;
  const ignore = read(join(dir, '.gitignore'));
  if (!(ignore ?? '').split('\n').some((l) => /^\/?\.instances\/?$/.test(l.trim()))) {
    changes.push({ path: '.gitignore', content: `${(ignore ?? '').replace(/\n*$/, ignore ? '\n' : '')}.instances/\n` });
  }

  if (dry) {
    if (made) ctx.out(made.text);
    ctx.out(`--dry-run: nothing written; would write ${changes.map((c) => c.path).join(', ') || 'nothing (all there already)'}`);
    return;
  }
  for (const c of changes) await writeFile(join(dir, c.path), c.content);
  if (existing && !writing) ctx.out(`${existing} exists: kept (--force writes a new one from your files)`);
  if (changes.length === 0) {
    ctx.out(`nothing to change: the declaration${ownDev ? '' : ', the justfile line'} and the .gitignore line are all there`);
    if (ownDev) ctx.note(ownDevNote);
    return;
  }
  ctx.out(`${made ? `Read ${made.sources.join(', ') || 'nothing it recognised'}; w` : 'W'}rote ${changes.map((c) => c.path).join(', ')}.`);
  if (made) {
    const { stride, range, passed } = made.stride;
    ctx.out(`Per-instance ports (instance N at basePort + N * ${stride}; instances 0 to ${range.max}):`);
    for (const line of columns(made.services.map((s) => [s.id, String(s.basePort), s.container ? `${s.container.service} (compose), ready by ${s.probe}` : 'app']), { indent: '  ' })) ctx.out(line);
    if (passed) ctx.note(`portStride ${stride}: ${passed}`);
    if (range.max < 1) ctx.note(`only instance 0 fits: ${range.reason}; change a base port or portStride in the declaration`);
    for (const s of made.notes) ctx.note(s);
    if (made.apps === 0) ctx.note('no apps found (no PM2 ecosystem file, Procfile or package.json dev script): add yours under apps');
  }
  if (ownDev) ctx.note(ownDevNote);
  ctx.out(`Next: npx dev-instances 1${ownDev ? '' : '    (or: just dev 1)'}`);
}

/** Read the project's files and make the declaration's text; exit 2 when there is nothing to read. */
async function readProject(dir: string, composeFlag: string | boolean | undefined) {
  const files = composeFiles(dir, composeFlag);
  const envFiles = ENV_FILES.filter((f) => existsSync(join(dir, f)));
  const envTexts = envFiles.map((f) => read(join(dir, f)) ?? '');
  const env = Object.assign({}, ...envTexts.map((t) => EnvDocument.parse(t).toObject())) as Record<string, string>;
  const composed = readServices(files.map((f) => parseCompose(dir, f)), env);
  const apps = await findApps(dir);
  const pkg = read(join(dir, 'package.json'));
  if (files.length === 0 && apps.length === 0 && pkg === undefined && !existsSync(join(dir, 'Procfile'))) {
    throw new UsageError(`init: nothing to build a declaration from in ${dir}: no compose file (${DEFAULT_COMPOSE_FILES.join(', ')}), no PM2 ecosystem file (${ECOSYSTEM_FILES.join(', ')}), no Procfile, no package.json; run it in your project's folder, or name a compose file with --compose`);
  }
  let name = basename(dir);
  try { name = (JSON.parse(pkg ?? '{}') as { name?: string }).name ?? name; } catch { /* the folder's name */ }
  const model: InitModel = {
    project: projectName(name), composeFiles: files, services: composed.services, apps, envSources: envFiles, urlKeys: urlKeys(envTexts),
    sources: [...files, ...new Set(apps.map((a) => a.from)), ...envFiles],
  };
  const { text, services, dropped, stride } = declarationText(model);
  return { text, services, stride, sources: model.sources, notes: [...composed.skipped.map((x) => `left out ${x}`), ...dropped], apps: apps.length };
}
