/**
 * What `init` reads as the project's apps, from the first source that has some: a PM2 ecosystem
 * file's `apps`, a Procfile, or the `dev` scripts of package.json files. Pure: the files come read.
 */

export interface FoundApp {
  id: string;
  /** Relative to the project. */
  cwd: string;
  /** A Node script (relative to cwd) with its arguments, or a command line. */
  script?: string;
  args?: string[];
  command?: string[];
  port?: number;
  /** Where it was found, for the summary. */
  from: string;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An id the declaration takes (an app's, a service's, the project's): lower-case letters, digits and '-', starting with a letter. */
export const idOf = (name: string, fallback = 'app'): string =>
  name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+|-+$/g, '') || fallback;

const words = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : []);

/**
 * The command with the port it names as `{port}`: each instance fills in its own. Within a word too,
 * as a shell line (`sh -c '… --port 3000'`) or an address (`0.0.0.0:8000`) holds it.
 */
export const withPortPlaceholder = (command: readonly string[], port: number): string[] =>
  command.map((w) => w.replace(new RegExp(`(^|[\\s=:])${port}(?=$|\\s)`, 'g'), '$1{port}'));

/** Options whose value is the port to listen on, alone or as host:port (gunicorn's `-b 0.0.0.0:8000`). */
const PORT_OPTIONS = ['--port', '-p', '--listen', '-l', '--bind', '-b'];
/** Words after which a bare port is the server's: `python3 -m http.server 8000`, `manage.py runserver 0.0.0.0:8000`. */
const PORT_AFTER = ['http.server', 'runserver'];
const PORT_VALUE = /^(?:[\w.-]+:|\[[^\]]*\]:)?(\d{2,5})$/;

/** A port a command line names: `--port 3000`, `--port=3000`, `-p 3000`, `-l 3000`, `--bind host:3000`, `PORT=3000`, `http.server 3000`. */
export function portIn(command: readonly string[]): number | undefined {
  for (let i = 0; i < command.length; i++) {
    const w = command[i] ?? '';
    const [name = '', value] = w.startsWith('-') || w.startsWith('PORT=') ? w.split(/=(.*)/s) : [w];
    const m = value !== undefined
      ? ((name === 'PORT' || PORT_OPTIONS.includes(name)) ? PORT_VALUE.exec(value) : null)
      : ((PORT_OPTIONS.includes(w) || PORT_AFTER.includes(w)) ? PORT_VALUE.exec(command[i + 1] ?? '') : null);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const relativeCwd = (cwd: unknown, projectDir: string): string => {
  if (typeof cwd !== 'string' || cwd === '' || cwd === '.' || cwd === projectDir) return '.';
  return cwd.startsWith(`${projectDir}/`) ? cwd.slice(projectDir.length + 1) : cwd.replace(/^\.\//, '');
};

/** The apps of a PM2 ecosystem module (`{ apps: [...] }`, or its default export). */
export function appsFromEcosystem(mod: unknown, file: string, projectDir: string): FoundApp[] {
  const eco = isObject(mod) && isObject(mod.default) ? mod.default : mod;
  const apps = isObject(eco) && Array.isArray(eco.apps) ? eco.apps : [];
  return apps.filter(isObject).map((a, i) => {
    const script = typeof a.script === 'string' ? a.script : '';
    const args = words(a.args);
    const env = isObject(a.env) ? a.env : {};
    const port = Number(env.PORT) || portIn(args);
    const node = /\.(c|m)?js$/.test(script) && (a.interpreter === undefined || a.interpreter === 'node');
    return {
      id: idOf(typeof a.name === 'string' ? a.name : `app-${i + 1}`), cwd: relativeCwd(a.cwd, projectDir),
      ...(node ? { script, ...(args.length ? { args } : {}) } : { command: [...(a.interpreter && a.interpreter !== 'none' ? [String(a.interpreter)] : []), ...words(script), ...args] }),
      ...(port ? { port } : {}), from: file,
    };
  });
}

/**
 * `web: bundle exec rails s -p $PORT` lines, run by a shell as a Procfile's are ($PORT, &&); `release`
 * is a one-off step, not an app. A command that reads $PORT gets the instance's port in its environment.
 */
export function appsFromProcfile(text: string): FoundApp[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line.trim());
    if (!m || line.trim().startsWith('#') || m[1] === 'release') return [];
    const port = portIn(words(m[2]));
    return [{ id: idOf(m[1] ?? ''), cwd: '.', command: ['sh', '-c', m[2] ?? ''], ...(port ? { port } : {}), from: 'Procfile' }];
  });
}

/**
 * The `dev` script of each package.json given (relative folder -> its text), run as `npm run dev`
 * there; a script that is one command naming its port runs as that command through npx, with the
 * port as `{port}`. In a workspace, the root's `dev` (which runs the others) is left out.
 */
export function appsFromPackages(packages: readonly { dir: string; text: string }[]): FoundApp[] {
  const withDev = packages.filter(({ text }) => /"dev"\s*:/.test(text));
  const nested = withDev.some((p) => p.dir !== '.');
  return packages.filter((p) => !(nested && p.dir === '.')).flatMap(({ dir, text }) => {
    let pkg: unknown;
    try { pkg = JSON.parse(text); } catch { return []; }
    const dev = isObject(pkg) && isObject(pkg.scripts) ? pkg.scripts.dev : undefined;
    if (typeof dev !== 'string') return [];
    const name = isObject(pkg) && typeof pkg.name === 'string' ? pkg.name.replace(/^@[^/]+\//, '') : dir.split('/').pop() ?? 'app';
    const port = portIn(words(dev));
    const simple = !/[;&|<>`$()]/.test(dev);
    const command = port && simple ? ['npx', '--no-install', ...words(dev)] : ['npm', 'run', 'dev'];
    return [{ id: idOf(dir === '.' ? name : dir.split('/').pop() ?? name), cwd: dir, command, ...(port ? { port } : {}), from: `${dir === '.' ? '' : `${dir}/`}package.json` }];
  });
}
