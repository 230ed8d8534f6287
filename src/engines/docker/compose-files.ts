/**
 * The project's compose files and what one infrastructure set needs beside them so that it never
 * shares a port, a container name, a data directory, a volume or a network with another set.
 *
 * Compose merges `-f` files in order: scalars of a later file win, `ports` lists are appended, and
 * `volumes` entries of a service are merged by their container path. So the generated override (last)
 * can rename containers, volumes and networks and move a data bind mount, but it cannot take a port
 * away from a base file: compose v2 (2.24.4 and later) can, with `!override`/`!reset`; for v1 and older
 * v2 the set gets its own copy of each file that publishes ports of a service it starts, without them,
 * run from the first file's folder (`--project-directory`) so relative paths mean what they meant.
 * What cannot be made per set (an `external` volume or network) is refused, naming it, the file and
 * the fix. Writing is here, reading in compose-read.ts; deciding (composeLayout) is pure.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { YAMLSeq } from 'yaml';
import { ConfigError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import type { InfraScope } from '../../plan/plan.js';
import { placementLabel } from '../../plan/views.js';
import { run } from '../../proc/run.js';
import type { EngineTarget } from '../types.js';
import { type ComposeSource, type Raw, type RawService, isObject } from './compose-read.js';
import { interpolate, yaml } from './compose-text.js';

export interface BaseService {
  image?: string;
  dependsOn: string[];
  /** The files give it a healthcheck (not disabled). */
  healthcheck?: boolean;
}

const dependsOf = (s: RawService): string[] => (Array.isArray(s.depends_on) ? s.depends_on.map(String) : Object.keys(isObject(s.depends_on) ? s.depends_on : {}));

/** The services of the merged files: the last image named, every dependency, whether a healthcheck is in force. Pure. */
export function mergedServices(sources: readonly ComposeSource[]): Record<string, BaseService> {
  const out: Record<string, BaseService> = {};
  for (const { doc } of sources) {
    for (const [svc, s] of Object.entries(doc.services ?? {})) {
      const into = (out[svc] ??= { dependsOn: [] });
      if (!s) continue;
      if (typeof s.image === 'string') into.image = s.image;
      into.dependsOn = [...new Set([...into.dependsOn, ...dependsOf(s)])];
      if (isObject(s.healthcheck)) into.healthcheck = s.healthcheck.disable !== true && !(Array.isArray(s.healthcheck.test) && s.healthcheck.test[0] === 'NONE');
    }
  }
  return out;
}

/** The services compose starts for `services`: them and, transitively, what they depend on. Pure. */
export function withDependencies(services: readonly string[], base: Record<string, BaseService>): string[] {
  const out = new Set<string>();
  const visit = (svc: string) => {
    if (out.has(svc)) return;
    out.add(svc);
    for (const d of base[svc]?.dependsOn ?? []) visit(d);
  };
  services.forEach(visit);
  return [...out];
}

/** A service's volume entry, short (`src:target[:mode]`) or long syntax. */
interface Mount { source?: string; target: string; readOnly: boolean; type: 'bind' | 'volume' | 'other' }

function mountOf(v: unknown, env: ComposeSource['env'] = {}): Mount | undefined {
  if (typeof v === 'string') {
    const parts = interpolate(v, env).split(':');
    if (parts.length === 1) return { target: v, readOnly: false, type: 'volume' }; // anonymous
    const [source = '', target = '', mode = ''] = parts;
    const bind = /^[./~]/.test(source);
    return { source, target, readOnly: mode.split(',').includes('ro'), type: bind ? 'bind' : 'volume' };
  }
  if (!isObject(v) || typeof v.target !== 'string') return undefined;
  const type = v.type === 'bind' ? 'bind' : v.type === 'volume' || v.type === undefined ? 'volume' : 'other';
  return { ...(typeof v.source === 'string' ? { source: interpolate(v.source, env) } : {}), target: v.target, readOnly: v.read_only === true, type };
}

/** A bind mount's host path: relative paths are the first file's folder's, as compose resolves them. */
/** The first file named with -f: compose's project directory is its folder. */
const firstFile = (sources: readonly ComposeSource[]) => sources.find((s) => !s.included) ?? sources[0];

const hostPath = (sources: readonly ComposeSource[], m: Mount) =>
  resolve(dirname(firstFile(sources)?.abs ?? '.'), (m.source ?? '').replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));

/** The host paths of the writable bind mounts of the services a set starts: those composeLayout asks isInput about. Pure. */
export function writableBinds(scope: Pick<InfraScope, 'services'>, sources: readonly ComposeSource[]): string[] {
  const started = new Set(withDependencies(scope.services, mergedServices(sources)));
  return sources.flatMap(({ doc }) => Object.entries(doc.services ?? {}).flatMap(([svc, s]) => (!s || !started.has(svc) || !Array.isArray(s.volumes) ? []
    : s.volumes.map((v) => mountOf(v, sources[0]?.env)).flatMap((m) => (m?.type === 'bind' && !m.readOnly ? [hostPath(sources, m)] : [])))));
}

/** Where a set's service keeps data it would otherwise share: a named volume of its project, or a folder of its own. */
export type DataHome = { volume: string } | { dir: string };

export interface ComposeLayout {
  /** The `-f` files, absolute, in order: each declared file (or the set's copy of it), the override last. */
  files: string[];
  /** Given when a copy stands in for a declared file: the folder relative paths are resolved from. */
  projectDirectory?: string;
  /** The override's text (it carries credentials: written 0600). */
  override: string;
  /** Copies of declared files without the ports they publish, relative to the project root. */
  copies: { path: string; text: string }[];
  /** Folders of the set's data bind mounts, relative to the project root. */
  dataDirs: string[];
  /** Where each started service keeps the data at each container path, by service then target. */
  data: Record<string, Record<string, DataHome>>;
}

export interface LayoutOptions {
  /** Compose v2 2.24.4 or later: `!override`/`!reset` take a base file's ports away. */
  tags: boolean;
  /** Is this bind-mounted host path an input every set reads (configuration, init scripts), not data? */
  isInput: (abs: string) => boolean;
}

/** Compose v1 reads YAML 1.1 (PyYAML): `yes` is true and `65:43` a number there, so what is written is quoted for it. */
const YAML_OUT = { version: '1.1' } as const;

const named = (project: string, key: string) => `${project}_${key}`;

/** A folder name for a container path: `/var/lib/postgresql/data` -> `var-lib-postgresql-data`. */
const folderOf = (target: string) => target.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'root';

/**
 * What one set runs with: the declared files (copied without their ports where tags cannot take them
 * away) and an override with the set's ports, container names, data homes, volume and network names.
 * Throws a ConfigError naming what cannot be made per set. Pure.
 */
export function composeLayout(t: Pick<EngineTarget, 'scope' | 'root'>, sources: readonly ComposeSource[], opts: LayoutOptions): ComposeLayout {
  const { scope, root } = t;
  const started = new Set(withDependencies(scope.services, mergedServices(sources)));
  const planned = scope.compose.override.services;
  const services: Record<string, Raw> = {};
  const serviceOf = (svc: string): Raw => (services[svc] ??= { ...(planned[svc] ?? {}) });
  for (const svc of Object.keys(planned)) serviceOf(svc);
  const topVolumes: Record<string, Raw> = {};
  const topNetworks: Record<string, Raw> = {};
  const data: ComposeLayout['data'] = {};
  const dataDirs: string[] = [];
  const problems: string[] = [];
  const withPorts = new Map<number, Set<string>>(); // file index -> services whose ports it publishes
  const usedVolumes = new Set<string>();
  const usedNetworks = new Set<string>();

  // The name Docker gives a volume of the set: the project's prefix, except what keeps its own name
  // (an external volume; a fixed `name:` on the shared set, which is the only set that keeps it).
  const volumeName = (key: string): string => {
    const def = sources.map(({ doc }) => doc.volumes?.[key]).filter(isObject).pop();
    const fixed = typeof def?.name === 'string' ? def.name : undefined;
    if (def?.external !== undefined && def.external !== false) return fixed ?? key;
    return fixed !== undefined && scope.shared ? fixed : named(scope.composeProject, key);
  };

  sources.forEach(({ doc }, i) => {
    for (const [svc, s] of Object.entries(doc.services ?? {})) {
      if (!s || !started.has(svc)) continue;
      if (Array.isArray(s.ports) && s.ports.length > 0) withPorts.set(i, new Set([...(withPorts.get(i) ?? []), svc]));
      // A fixed name collides with the same service of another set: the set's own name instead.
      if (s.container_name !== undefined) serviceOf(svc).container_name = `${scope.composeProject}-${svc}`;
      const nets = Array.isArray(s.networks) ? s.networks.map(String) : Object.keys(isObject(s.networks) ? s.networks : {});
      (nets.length ? nets : ['default']).forEach((n) => usedNetworks.add(n));
      for (const m of (Array.isArray(s.volumes) ? s.volumes : []).map((v) => mountOf(v, sources[0]?.env))) {
        if (!m || m.type === 'other') continue;
        if (m.type === 'volume') {
          if (m.source) usedVolumes.add(m.source);
          const home = { volume: volumeName(m.source ?? '') };
          if (m.source) (data[svc] ??= {})[m.target] = home;
          continue;
        }
        if (m.readOnly || opts.isInput(hostPath(sources, m))) {
          // Read by every set, written by none; but a path here means nothing on another Docker host.
          if (scope.placement) problems.push(`services.${svc}.volumes in ${sources[i]?.abs}: ${m.source} is on this machine, which the Docker host ${placementLabel(scope.placement)} cannot read. Serve ${svc} from this machine's engine (no --host), or build the file into its image`);
          continue;
        }
        // A data directory: the set's own, at the same container path (compose merges volumes by it).
        const key = `${svc}-${folderOf(m.target)}`;
        const own = serviceOf(svc);
        const mounts = [...(Array.isArray(own.volumes) ? own.volumes : [])];
        own.volumes = mounts;
        if (scope.placement) {
          // On another Docker host, paths here mean nothing there: a named volume of the set's project.
          topVolumes[key] = {};
          mounts.push(`${key}:${m.target}`);
          (data[svc] ??= {})[m.target] = { volume: named(scope.composeProject, key) };
        } else {
          const dir = join(scope.dir, 'volumes', svc, folderOf(m.target));
          dataDirs.push(dir);
          mounts.push(`${join(root, dir)}:${m.target}`);
          (data[svc] ??= {})[m.target] = { dir };
        }
      }
    }
  });

  const topLevel = (kind: 'volumes' | 'networks', used: ReadonlySet<string>, into: Record<string, Raw>) => {
    for (const { doc, abs } of sources) {
      for (const [key, v] of Object.entries(doc[kind] ?? {})) {
        if (!used.has(key) || !v) continue;
        if (v.external !== undefined && v.external !== false) {
          // One set of the whole machine may use it; an instance's own set would share it with every other.
          if (!scope.shared) problems.push(`${kind}.${key} in ${abs} is external: every instance would share it. Remove \`external\` (each instance then gets its own), or serve its services from the shared set (infraSharing)`);
        } else if (typeof v.name === 'string' && !scope.shared) {
          into[key] = { name: named(scope.composeProject, key) };
        }
      }
    }
  };
  topLevel('volumes', usedVolumes, topVolumes);
  topLevel('networks', usedNetworks, topNetworks);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${scope.label}: ${p}`));

  // Ports: the set's own, never a base file's as well.
  const copies: ComposeLayout['copies'] = [];
  // Included files are brought in by the file that includes them, never named with -f.
  const files: (string | undefined)[] = sources.map((s) => (s.included ? undefined : s.abs));
  for (const [i, svcs] of withPorts) {
    if (opts.tags) {
      for (const svc of svcs) serviceOf(svc).ports ??= [];
      continue;
    }
    const source = sources[i] as ComposeSource;
    // A copy without the ports can only be made of a file named with -f, and of ports written in it.
    const written = source.written ?? source.doc;
    const unreachable = [...svcs].filter((svc) => source.included || (written.services?.[svc]?.ports as unknown[] | undefined)?.length !== (source.doc.services?.[svc]?.ports as unknown[]).length);
    for (const svc of unreachable) {
      problems.push(`services.${svc}.ports in ${source.abs}${source.included ? ' (an included file)' : ' (taken from the service it extends)'}: this compose cannot take them away per set (v1 and v2 before 2.24.4 have no !override). Write the ports in ${svc} itself in a file named in composeFiles, or use compose v2.24.4 or later`);
    }
    if (unreachable.length) continue;
    const doc = structuredClone(written);
    for (const svc of svcs) delete (doc.services?.[svc] as RawService).ports;
    const path = join(scope.dir, 'compose', `${i + 1}-${source.abs.split('/').pop() ?? 'compose.yml'}`);
    copies.push({
      path,
      text: `# Generated by dev-instances for ${scope.label}: ${source.abs} without the ports of ${[...svcs].join(', ')}\n`
        + `# (compose v1 appends ports across files; the override publishes the set's own). Edit the original.\n${yaml().stringify(doc, YAML_OUT)}`,
    });
    files[i] = join(root, path);
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${scope.label}: ${p}`));
  const portsTagged = opts.tags ? [...withPorts.values()].flatMap((s) => [...s]) : [];

  const doc = new (yaml().Document)({
    services,
    ...(Object.keys(topVolumes).length ? { volumes: topVolumes } : {}),
    ...(Object.keys(topNetworks).length ? { networks: topNetworks } : {}),
  }, YAML_OUT);
  for (const svc of new Set(portsTagged)) {
    const seq = doc.getIn(['services', svc, 'ports'], true);
    if (yaml().isSeq(seq)) (seq as YAMLSeq).tag = (seq as YAMLSeq).items.length ? '!override' : '!reset';
  }
  const override = `# Generated by dev-instances for ${scope.label} (compose project ${scope.composeProject}).\n`
    + `# Its own ports, names and data${portsTagged.length ? '; !override/!reset take the base files\' ports away' : ''}.\n${doc.toString()}`;

  return {
    files: [...files.filter((f): f is string => f !== undefined), join(root, scope.files.composeOverride)],
    ...(copies.length ? { projectDirectory: dirname(firstFile(sources)?.abs ?? root) } : {}),
    override, copies, dataDirs, data,
  };
}

/**
 * Is this bind-mounted host path an input every set reads (a file; a folder of configuration or init
 * scripts git tracks files in) rather than data? A folder git tracks nothing in but placeholders
 * (.gitkeep), or that is outside git, is data: each set gets its own.
 */
export async function bindIsInput(abs: string): Promise<boolean> {
  const stat = await lstat(abs).catch(() => undefined);
  if (!stat) return false; // absent: compose would create it, empty, to write into
  if (!stat.isDirectory()) return true;
  const git = await run('git', ['-C', abs, 'ls-files', '--', '.'], { timeoutMs: 10_000, reject: false });
  return git.code === 0 && git.stdout.split('\n').some((f) => f !== '' && !/(^|\/)\.(gitkeep|keep|gitignore)$/.test(f));
}

/** Compose v2 from 2.24.4 on understands `!override` and `!reset`. */
export function composeHasTags(version: string, major: 1 | 2): boolean {
  if (major === 1) return false;
  const [a = 0, b = 0, c = 0] = version.split(/[.-]/).map(Number);
  return a > 2 || (a === 2 && (b > 24 || (b === 24 && c >= 4)));
}

/** Write what the layout names: the override (0600: it carries credentials), the copies, the data folders. */
export async function writeLayout(root: string, scope: InfraScope, layout: ComposeLayout): Promise<void> {
  await writeFileAtomic(join(root, scope.files.composeOverride), layout.override);
  await Promise.all(layout.copies.map((c) => writeFileAtomic(join(root, c.path), c.text)));
  await Promise.all(layout.dataDirs.map((d) => mkdir(join(root, d), { recursive: true })));
}

/** `--project-name P [--project-directory D] -f FILE… ACTION…`: the same words for compose v2 and v1. Pure. */
export function composeArgs(scope: Pick<InfraScope, 'composeProject'>, layout: Pick<ComposeLayout, 'files' | 'projectDirectory'>, ...action: string[]): string[] {
  return [
    '--project-name', scope.composeProject,
    ...(layout.projectDirectory ? ['--project-directory', layout.projectDirectory] : []),
    ...layout.files.flatMap((f) => ['-f', f]),
    ...action,
  ];
}
