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

/** Options whose value is the port to listen on, alone or as host:port (gunicorn's `-b 0.0.0.0:8000`). */
const PORT_OPTIONS = ['--port', '-p', '--listen', '-l', '--bind', '-b'];
/** Words after which a bare port is the server's: `python3 -m http.server 8000`, `manage.py runserver 0.0.0.0:8000`. */
const PORT_AFTER = ['http.server', 'runserver'];
/** A port (1024 to 65535), after a host that has a letter or a dot (`0.0.0.0:`, `localhost:`; not `8080:` of `-p 8080:80`). */
const PORT_VALUE = /^((?:[\w.-]*[A-Za-z.][\w.-]*:|\[[^\]]*\]:)?)(\d{4,5})$/;

/** Where a command line names its port: the word that holds it, what comes before the number in that word, and the port. */
function portWord(command: readonly string[]): { index: number; lead: string; port: number } | undefined {
  for (let i = 0; i < command.length; i++) {
    const w = command[i] ?? '';
    const inline = /^(--port|--listen|--bind|-p|-l|-b|PORT)=(.*)$/s.exec(w);
    const [index, value, lead] = inline ? [i, inline[2] ?? '', `${inline[1]}=`]
      : PORT_OPTIONS.includes(w) || PORT_AFTER.includes(w) ? [i + 1, command[i + 1] ?? '', ''] : [-1, '', ''];
    const m = index >= 0 ? PORT_VALUE.exec(value) : null;
    if (m && Number(m[2]) >= 1024 && Number(m[2]) <= 65535) return { index, lead: `${lead}${m[1] ?? ''}`, port: Number(m[2]) };
  }
  return undefined;
}

/** A port a command line names: `--port 3000`, `--port=3000`, `-p 3000`, `-l 3000`, `--bind host:3000`, `PORT=3000`, `http.server 3000`. */
export const portIn = (command: readonly string[]): number | undefined => portWord(command)?.port;

/**
 * The command with the port it names as `{port}`, there and nowhere else (`--timeout 3000` stays):
 * each instance fills in its own. A shell line (a Procfile's `sh -c '…'`) is searched word by word too.
 */
export function withPortPlaceholder(command: readonly string[], port: number): string[] {
  const at = portWord(command);
  if (at?.port === port) return command.map((w, i) => (i === at.index ? `${at.lead}{port}` : w));
  return command.map((w) => {
    if (!/\s/.test(w)) return w;
    const pieces = w.split(/(\s+)/); // words at even places, the spaces between them at odd ones
    const words = pieces.filter((_, i) => i % 2 === 0);
    const inner = portWord(words);
    if (inner?.port !== port) return w;
    return pieces.map((x, i) => (i === inner.index * 2 ? `${inner.lead}{port}` : x)).join('');
  });
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
