/**
 * The docker engine: the instance's infrastructure as a compose project, `<project>-dev-N`, from the
 * base file plus the instance's generated override. COMPOSE_PROJECT_NAME is exported as well as
 * --project-name so a stray .env cannot redirect the volumes. Compose v2 (`docker compose`) where
 * present, else v1 (`docker-compose`, what Debian 12 ships): the tool waits for readiness itself
 * rather than with v2's `up --wait`, and reads containers through `docker ps` and compose's project
 * label, so both behave the same (and a project is found without any local file).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../../errors.js';
import { instanceOfProject } from '../../plan/names.js';
import { withDeadline } from '../../poll.js';
import { trace } from '../../trace.js';
import { type RunResult, commandLine, run, runAttached, streamLines } from '../../proc/run.js';
import { type ReadinessCheck, waitAllReady } from '../../readiness.js';
import { type BaseService, type ComposeLayout, bindIsInput, composeArgs, composeHasTags, composeLayout, mergedServices, withDependencies, writableBinds, writeLayout } from './compose-files.js';
import { readComposeSources } from './compose-read.js';
import { imagesOf, inspectImages, nameOfService } from './images.js';
import { composeFingerprint, lastFingerprint, recordFingerprint, startableInPlace } from './in-place.js';
import { missingError } from '../inspection.js';
import { HOST_DEADLINE_MS, dockerEnv, engineKey, unreachable } from './placement.js';
import { type ComposeCli, composeOnce, runDocker } from './probe.js';
import { DUMP_DEADLINE_MS, dumpArgs } from '../dump.js';
import { serviceProbe } from '../probes.js';
import type { Engine, EngineTarget, ServiceState, UpReport } from '../types.js';
import { type InfraScope, clientAddress } from '../../plan/plan.js';
import { onHost } from '../../plan/views.js';

export { composeArgs };
/** A first start may initialise a database or pull nothing but still take a while. */
const READY_DEADLINE_MS = 120_000;
export const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

const projectEnv = (t: EngineTarget) => ({ COMPOSE_PROJECT_NAME: t.scope.composeProject, ...dockerEnv(t.scope) });

/** The program and arguments of one compose action, for v2 or v1. Pure. */
export function composeInvocation(cli: ComposeCli | undefined, t: EngineTarget, layout: Pick<ComposeLayout, 'files' | 'projectDirectory'>, action: string[]): { program: string; args: string[] } {
  return { program: cli?.program ?? 'docker', args: [...(cli?.prefix ?? ['compose']), ...composeArgs(t.scope, layout, ...action)] };
}

/** The set's compose files as this machine's compose takes them (reads the declared files, writes nothing). A ConfigError names what cannot be made per set. */
export async function layoutOf(t: EngineTarget): Promise<ComposeLayout> {
  const [sources, cli] = await Promise.all([readComposeSources(t.root, t.decl), composeOnce()]);
  const binds = writableBinds(t.scope, sources);
  const asked = await Promise.all(binds.map(bindIsInput));
  const inputs = new Set(binds.filter((_, i) => asked[i]));
  return composeLayout(t, sources, { tags: cli ? composeHasTags(cli.version, cli.major) : false, isInput: (p) => inputs.has(p) });
}

/** The set's override (and copies) written: the files a compose call names say what the plan says. */
export async function writeComposeFiles(t: EngineTarget): Promise<ComposeLayout> {
  const layout = await layoutOf(t);
  await writeLayout(t.root, t.scope, layout);
  return layout;
}

async function composeCall(t: EngineTarget, action: string[], layout?: ComposeLayout) {
  return composeInvocation(await composeOnce(), t, layout ?? await writeComposeFiles(t), action);
}

async function compose(t: EngineTarget, action: string[], opts: { stdoutFile?: string; stdinFile?: string; timeoutMs?: number } = {}, layout?: ComposeLayout): Promise<RunResult> {
  forgetSeen();
  const { program, args } = await composeCall(t, action, layout);
  const r = await run(program, args, { env: projectEnv(t), timeoutMs: 600_000, ...opts, reject: false });
  if (r.code === 0) return r;
  throw unreachable(t.scope, r) ?? r.error ?? new OperationalError(`${commandLine(program, args)} failed`);
}

export interface Container {
  name: string;
  service: string;
  /** running, exited, created, restarting, dead, … */
  state: string;
  /** Docker's status line, e.g. 'Up 3 seconds (healthy)'. */
  status: string;
  publishedPort: number;
}

const PS_FORMAT = `{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Label "${SERVICE_LABEL}"}}\t{{.Ports}}\t{{.Label "${PROJECT_LABEL}"}}`;

type Listed = (Container & { project: string })[];

/** `docker ps` of compose's containers on one engine (filter: one project's label, or every project's). */
function dockerPs(on: Pick<InfraScope, 'placement'>, filter: string): Promise<RunResult> {
  return runDocker(['ps', '--all', '--filter', filter, '--format', PS_FORMAT], dockerEnv(on), on.placement ? HOST_DEADLINE_MS : 30_000);
}

function containersOf(scope: InfraScope, r: RunResult): Listed {
  if (r.code !== 0) throw unreachable(scope, r) ?? r.error;
  return r.stdout.split('\n').filter(Boolean).map((line) => {
    const [name = '', state = '', status = '', service = '', ports = '', owner = ''] = line.split('\t');
    return { name, state, status, service, publishedPort: Number(/:(\d+)->/.exec(ports)?.[1] ?? 0), project: owner };
  });
}

/** The containers of one set's compose project, found by the label compose gives them (v1 and v2). */
export const projectContainers = async (scope: InfraScope): Promise<Container[]> =>
  containersOf(scope, await dockerPs(scope, `label=${PROJECT_LABEL}=${scope.composeProject}`));

/**
 * Every compose container of this machine's engine, read once by a command that looks at many
 * projects (`status all` finds its instances with it): their status calls read this one list
 * instead of one `docker ps` per project. (Placed instances are asked one project each, all at once,
 * so a silent host costs its deadline once.) Kept for a moment only; anything that changes
 * containers drops it, and commands that change containers read afresh (projectContainers).
 */
const seen = new Map<string, { at: number; ps: Promise<RunResult> }>();
const SEEN_FOR_MS = 2_000;
/** Ask afresh from now on (a process that runs several commands, like the tests, between them). */
export const forgetSeen = (): void => seen.clear();

/** The list composeProjects read for the set's engine a moment ago, if any. */
function recentList(on: Pick<InfraScope, 'placement'>): Promise<RunResult> | undefined {
  const known = seen.get(engineKey(on));
  return known && performance.now() - known.at < SEEN_FOR_MS ? known.ps : undefined;
}

/** Every compose project with a container on this machine's engine (none when no engine answers). */
export async function composeProjects(): Promise<string[]> {
  const ps = dockerPs({}, `label=${PROJECT_LABEL}`);
  seen.set(engineKey({}), { at: performance.now(), ps });
  const r = await ps;
  return r.code === 0 ? [...new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[5] ?? ''))] : [];
}

/** The compose service of the declaration's Postgres. */
const postgresService = (t: EngineTarget) =>
  t.decl.services[t.decl.infra?.postgres?.service ?? '']?.container?.service ?? t.decl.infra?.postgres?.service ?? 'postgres';

/** Succeeds once Docker says the service's container passed its compose healthcheck. */
async function containerHealthy(t: EngineTarget, service: string): Promise<void> {
  const c = (await projectContainers(t.scope)).find((k) => k.service === service);
  if (!c || !/\(healthy\)/.test(c.status)) throw new Error(`its healthcheck has not passed yet${c ? ` (${c.status})` : ''}`);
}

/**
 * The published ports of the set's services, each with the probe that tells it is ready: the one the
 * native engine asks too; for a service with none of its own, its compose healthcheck when it has one.
 */
function probedPorts(t: EngineTarget, services: readonly string[], base: Record<string, BaseService> = {}) {
  return t.scope.ports.filter((x) => x.container && services.includes(x.container.service)).map((x) => {
    const service = x.container?.service ?? x.id;
    const healthcheck = base[service]?.healthcheck ? () => containerHealthy(t, service) : undefined;
    return { port: x, service, probe: serviceProbe(t.decl, x.id, x.port, t.scope, clientAddress(x.host), healthcheck) };
  });
}

/** Readiness of every published service of the set, asked the same way the native engine asks, where it answers. */
function readinessChecks(t: EngineTarget, services: readonly string[], base: Record<string, BaseService>): ReadinessCheck[] {
  return probedPorts(t, services, base).map(({ port: x, service, probe }) => {
    return {
      name: `${service} of ${t.scope.label} (container${onHost(t.scope.placement)})`,
      port: x.port,
      probe,
      deadlineMs: READY_DEADLINE_MS,
      gone: async () => {
        const c = (await projectContainers(t.scope)).find((k) => k.service === service);
        if (!c) return 'its container is gone';
        if (c.state === 'exited' || c.state === 'dead') {
          const logs = await runDocker(['logs', '--tail', '15', c.name], dockerEnv(t.scope), 10_000);
          return `its container ${c.name} ${c.status.toLowerCase()}:\n${`${logs.stdout}${logs.stderr}`.trim()}`;
        }
        return undefined;
      },
    };
  });
}

/**
 * What Docker says of a container: a running one is 'unhealthy' once its healthcheck failed, 'starting'
 * before the check first passed, else 'online'. Stopped by compose: exit 0 (or a signal's code after
 * SIGINT/SIGTERM); killed or crashed: anything else.
 */
export function containerState(c: Pick<Container, 'state' | 'status'>): ServiceState['state'] {
  if (c.state === 'running') return /\(unhealthy\)/.test(c.status) ? 'unhealthy' : /health: starting/.test(c.status) ? 'starting' : 'online';
  return c.state === 'exited' && /\((0|130|143)\)/.test(c.status) ? 'stopped' : 'errored';
}

/** How long status gives a container's probe: a ready server answers in milliseconds, a busy machine may take a while. */
const STATUS_PROBE_MS = 3_000;

const runningNames = (cs: readonly Container[]) => cs.filter((c) => c.state === 'running').map((c) => c.name);

export const dockerEngine: Engine = {
  name: 'docker',
  underPm2: false,
  machinePasswords: false,

  async instances(decl) {
    return (await composeProjects()).map((name) => instanceOfProject(decl.project, name)).filter((n): n is number => n !== undefined);
  },

  async inspect(t, opts) {
    // What cannot be made per set is refused here, before anything is written or started.
    const [{ missing, unavailable }] = await Promise.all([inspectImages(t, { fetch: opts?.fetch ?? false }), layoutOf(t)]);
    return { missing, unavailable };
  },

  async up(t) {
    const [{ missing, unavailable, base }, before] = await Promise.all([inspectImages(t, { fetch: true }), projectContainers(t.scope)]);
    if (missing.length > 0) throw missingError(t.scope.label, 'docker', missing);
    const running = runningNames(before);
    // Only this set's services that can run: with shared infrastructure the rest run in the shared
    // project. (A compose dependency of a listed service still starts inside this project, unpublished.)
    const left = new Set(unavailable.map((u) => u.service));
    const services = t.scope.services.filter((svc) => !left.has(nameOfService(t.decl, svc)));
    // Nothing of its own to run (all shared, or all unavailable): `up` without services would start every service of the file.
    if (services.length === 0) return { started: [], alreadyRunning: running, unavailable };
    const layout = await writeComposeFiles(t);
    const started = withDependencies(services, base);
    const [print, last] = await Promise.all([composeFingerprint(t, layout.files, started, [...new Set(imagesOf(t, started, base).values())]), lastFingerprint(t)]);
    const inPlace = print !== undefined && print === last ? startableInPlace(started, base, before) : undefined;
    // One `docker start` per container, at once: the client starts several one after the other.
    forgetSeen();
    const startedInPlace = inPlace && (await Promise.all(inPlace.map((c) => runDocker(['start', c], dockerEnv(t.scope), 120_000)))).every((r) => r.code === 0);
    if (!startedInPlace) {
      trace('docker: compose up');
      await compose(t, ['up', '--detach', ...services], {}, layout);
      if (print) await recordFingerprint(t, print);
    }
    trace('docker: containers started');
    await waitAllReady(readinessChecks(t, services, base));
    const after = await projectContainers(t.scope);
    const report: UpReport = { started: after.map((c) => c.name).filter((n) => !running.includes(n)), alreadyRunning: running, unavailable };
    return report;
  },

  async stop(t) {
    const wasRunning = runningNames(await projectContainers(t.scope)).length > 0;
    if (wasRunning) await compose(t, ['stop']); // nothing running: no compose call (v1 takes half a second to start)
    return wasRunning;
  },

  async down(t) {
    await compose(t, ['down', '--remove-orphans']);
  },

  async removeData(t) {
    await compose(t, ['down', '--volumes', '--remove-orphans']);
  },

  async status(t) {
    const order = (c: Container) => t.scope.services.indexOf(c.service);
    const recent = recentList(t.scope);
    const listed = recent ? containersOf(t.scope, await recent).filter((c) => c.project === t.scope.composeProject) : await projectContainers(t.scope);
    const sorted = listed.sort((a, b) => order(a) - order(b));
    // Ready means what a start waits for: the service's own probe answers. Docker's healthcheck runs
    // on its own clock (every few seconds), so before its first pass the probe decides; once it has
    // failed, the container is unhealthy whatever the probe says.
    const starting = sorted.filter((c) => containerState(c) === 'starting').map((c) => c.service);
    const base = starting.length ? await readComposeSources(t.root, t.decl).then(mergedServices, () => ({})) : {};
    const probes = new Map(probedPorts(t, starting, base).map((x) => [x.service, x.probe]));
    return Promise.all(sorted.map(async (c): Promise<ServiceState> => {
      const docker = containerState(c);
      const probe = probes.get(c.service);
      const answers = docker === 'starting' && probe !== undefined && await withDeadline(probe(), STATUS_PROBE_MS).then(() => true, () => false);
      return { service: c.service, process: c.name, port: c.publishedPort, state: answers ? 'online' : docker };
    }));
  },

  async databasePresent(t) {
    // Where the Postgres service keeps its data: a volume of the project, or the set's own folder.
    const homes = Object.values((await layoutOf(t)).data[postgresService(t)] ?? {});
    const home = homes.find((h) => 'volume' in h) ?? homes[0];
    if (!home) return true; // data inside the container: nothing to miss apart from it
    if ('dir' in home) return readdir(join(t.root, home.dir)).then((names) => names.length > 0, () => false);
    return (await runDocker(['volume', 'inspect', home.volume], dockerEnv(t.scope), t.scope.placement ? HOST_DEADLINE_MS : 10_000)).code === 0;
  },

  async dumpDatabase(t, db, file) {
    // The server's own pg_dump inside its container: always the matching version.
    await compose(t, ['exec', '-T', postgresService(t), 'pg_dump', ...dumpArgs(db)], { stdoutFile: file, timeoutMs: DUMP_DEADLINE_MS });
  },

  async restoreDatabase(t, db, file) {
    await compose(t, ['exec', '-T', postgresService(t), 'pg_restore', '--exit-on-error', '--no-owner', '-U', db.user, '-d', db.name], { stdinFile: file, timeoutMs: DUMP_DEADLINE_MS });
  },

  async processMarks() {
    return []; // containers hold published ports through docker-proxy, which is never ours to signal
  },

  async logs(t, opts, onLine) {
    const { program, args } = await composeCall(t, ['logs', '--no-color', '--tail', String(opts.lines), ...(opts.follow ? ['--follow'] : []), ...(opts.service ? [opts.service] : [])]);
    return streamLines(program, args, (l) => onLine(t.scope.composeProject, l), { env: projectEnv(t) });
  },

  async compose(t, words) {
    forgetSeen();
    const { program, args } = await composeCall(t, [...words]);
    return runAttached(program, args, { env: projectEnv(t) });
  },

  async describe(t, action) {
    const words = { up: ['up', '--detach', ...t.scope.services], stop: ['stop'], 'remove-data': ['down', '--volumes', '--remove-orphans'] }[action];
    const { program, args } = await composeCall(t, words, await layoutOf(t));
    const absent = action === 'up' ? (await inspectImages(t, { fetch: false })).absent : [];
    const placed = t.scope.placement;
    return [
      ...absent.map((image) => (placed
        ? `docker pull ${image}${onHost(placed)}, else docker save ${image} | DOCKER_HOST=${placed.docker} docker load (not on that host; a service whose image cannot be had is left out, or stops the start when required)`
        : `docker pull ${image} (not on this machine; a service whose image cannot be pulled is left out, or stops the start when required)`)),
      `${placed ? `DOCKER_HOST=${placed.docker} ` : ''}COMPOSE_PROJECT_NAME=${t.scope.composeProject} ${commandLine(program, args)}`,
      ...(action === 'up' ? [`then wait until ${t.scope.ports.filter((x) => x.container).map((x) => `${x.container?.service} (${clientAddress(x.host)}:${x.port})`).join(', ')} answer`] : []),
    ];
  },
};
