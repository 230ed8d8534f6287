/**
 * plan(N): every per-instance value, computed in one place with no I/O. Instance 0 follows the same
 * rules as every other instance. Everything that writes, starts or provisions reads from this.
 */
import { type AppDecl, type PlanContext, type Sharing, type StackDeclaration, commandWords } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { LOCAL_HOST } from './addresses.js';
import { appHost, namedUrl } from './named-urls.js';
import { SLICES, type Slices, planSlices } from '../slices/table.js';
import * as names from './names.js';
import { type InstanceRange, instanceRange, isEphemeral } from './range.js';

export interface PortEntry {
  id: string;
  /** Served by the shared infrastructure set (on its base port) rather than by this instance. */
  shared: boolean;
  key: string;
  label: string;
  basePort: number;
  port: number;
  /** Where the port answers: 'localhost', or the address of the Docker host the instance's infrastructure is placed on. */
  host: string;
  scheme?: string;
  container?: { service: string; port: number };
}

export interface AppPlan {
  id: string;
  pm2Name: string;
  cwd: string;
  /** What PM2 runs: a Node script (interpreter 'node') or any executable (interpreter 'none'). */
  script: string;
  args: string[];
  interpreter: 'node' | 'none';
  port?: number;
  /** Apps with a port: their direct URL, and their named URL through the local proxy when it is on. */
  url?: { direct: string; named?: string };
  health?: string;
  ready?: 'signal';
  /** Starts only once the infrastructure answers and is provisioned (AppDecl.needsInfrastructure). */
  needsInfrastructure: boolean;
  /** Keys the plan owns in this app's env file (replace-or-append). */
  env: Record<string, string>;
  envSources: string[];
  /** Paths relative to the repository root. */
  envFile: string;
  localEnvFile: string;
}

/** Every per-instance value; its slices (database, redis, temporal) are there when the declaration has their servers. */
export interface InstancePlan extends Slices {
  instance: number;
  project: string;
  composeProject: string;
  pm2Namespace: string;
  /** Relative to the repository root. */
  dir: string;
  files: { composeOverride: string; ecosystem: string; logs: string };
  ports: PortEntry[];
  /** base port -> this instance's port, for rewriting localhost URLs in source env files. */
  portMoves: Map<number, number>;
  apps: AppPlan[];
  /** The app `http://<N>.<project>.localhost` opens (see homeAppOf); none when no app has a port. */
  homeApp?: string;
  /** Named URLs (src/proxy/hosts.ts), when the proxy is on: its port and the instance's home URL. */
  proxy?: { port: number; home: string };
  compose: { override: ComposeOverride };
  /** Where the instance's own infrastructure runs, when not on this machine. */
  placement?: Placement;
  /** The infrastructure this instance runs itself, and the shared set it uses (if any). */
  infra: InfraScope;
  sharedInfra: InfraScope | undefined;
  warnings: string[];
}

/** One set of infrastructure processes or containers: an instance's own, or the shared one. */
export interface InfraScope {
  /** 'instance 3' or 'shared infrastructure', for messages. */
  label: string;
  project: string;
  composeProject: string;
  pm2Namespace: string;
  /** Last part of PM2 process names: the instance number, or 'infra'. */
  nameSuffix: string;
  /** The one set every instance shares (not an instance's own). */
  shared: boolean;
  dir: string;
  files: { composeOverride: string; logs: string };
  /** Compose services in this set. */
  services: string[];
  /** Images chosen for its services instead of the base file's (written into the override). */
  images: Record<string, ImageChoice>;
  ports: PortEntry[];
  compose: { override: ComposeOverride };
  /** The Postgres superuser the tool's clients log in as (when the declaration has a Postgres). */
  superuser?: { user: string; password: string };
  /** The password Redis asks for, when the tool runs it (PlanOptions.passwords). */
  redisPassword?: string;
  /** The Docker host it runs on, when not this machine's engine (an instance's own set only). */
  placement?: Placement;
}

/** What the tool's own clients log in with: Postgres's superuser, Redis's password. */
export type Credentials = Pick<InfraScope, 'superuser' | 'redisPassword'>;

export interface ComposeOverride {
  /** Ports in short syntax, `HOST_IP:PUBLISHED:TARGET`: the one form compose v1 and v2 both take with an address. */
  services: Record<string, { ports: string[] } & Record<string, unknown>>;
}

export { LOCAL_HOST, clientAddress } from './addresses.js';

/** Where an instance's own infrastructure runs when it is not this machine: a Docker host, by name and address. */
export interface Placement {
  /** The Docker context or host as the user named it, for messages and state. */
  name: string;
  /** The Docker endpoint every docker and compose call for it gets as DOCKER_HOST (tcp://…, ssh://…). */
  docker: string;
  /** The address its published ports answer on (from here), and the address they are bound to there. */
  address: string;
}

export interface PlanOptions {
  /** Compose services served by the shared set; default from the declaration's infraSharing. */
  shared?: ReadonlySet<string>;
  /** The environment's image variables (DEV_INSTANCES_IMAGE_<SERVICE>); they win over the declaration's images. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Named URLs, when on (the CLI decides: src/proxy/state.ts, proxySetting). */
  proxy?: ProxySetting;
  /** The instance's own infrastructure on another Docker host; its apps and the shared set stay here. */
  placement?: Placement;
  /**
   * The passwords of the Postgres and Redis the instance uses when the tool runs them itself (the
   * native engine: the machine's, src/secrets.ts; lifecycle/target.ts decides), instead of the
   * declaration's: in their URLs, and in the sets that run them.
   */
  passwords?: MachinePasswords;
}

/** The local proxy as an instance's URLs and apps see it. */
export interface ProxySetting {
  /** Its HTTP port. */
  port: number;
  /**
   * HTTPS, when on: named URLs are https:// on this port, and the apps are told the machine's CA
   * (NODE_EXTRA_CA_CERTS; SSL_CERT_FILE and REQUESTS_CA_BUNDLE get the system's bundle with it, when there is one).
   */
  https?: { port: number; ca: string; bundle?: string };
}

export interface MachinePasswords {
  postgres?: string;
  redis?: string;
}

export interface ImageChoice {
  image: string;
  /** Where it was chosen: the variable's name, or 'images in the declaration'. */
  from: string;
}

/** The image overrides in force, by compose service: the environment's variable, else the declaration. */
export function imageOverrides(decl: StackDeclaration, env: PlanOptions['env'] = {}): Record<string, ImageChoice> {
  const out: Record<string, ImageChoice> = {};
  for (const svc of composeServices(decl)) {
    const fromEnv = env[names.imageEnvVar(svc)];
    const declared = decl.images?.[svc];
    if (fromEnv) out[svc] = { image: fromEnv, from: names.imageEnvVar(svc) };
    else if (declared) out[svc] = { image: declared, from: 'images in the declaration' };
  }
  return out;
}

/** Compose services of the declaration, in port order. */
export function composeServices(decl: StackDeclaration): string[] {
  return [...new Set(Object.values(decl.services).flatMap((s) => (s.container ? [s.container.service] : [])))];
}

/** Which compose services are shared: the declaration's infraSharing, or an override for all. */
export function sharedServices(decl: StackDeclaration, override?: Sharing): Set<string> {
  const all = composeServices(decl);
  const setting = override ?? decl.infraSharing ?? 'isolated';
  if (typeof setting === 'string') return new Set(setting === 'shared' ? all : []);
  return new Set(all.filter((svc) => setting[svc] === 'shared'));
}

/** The instance range of a declaration under a given sharing. */
export function rangeFor(decl: StackDeclaration, shared: ReadonlySet<string> = sharedServices(decl)): InstanceRange {
  return instanceRange(Object.entries(decl.services).map(([id, s]) => ({
    id, basePort: s.basePort, fixed: s.container !== undefined && shared.has(s.container.service),
  })), decl.portStride);
}

export function plan(decl: StackDeclaration, instance: number, options: PlanOptions = {}): InstancePlan {
  const shared = options.shared ?? sharedServices(decl);
  const range = rangeFor(decl, shared);
  if (!Number.isInteger(instance) || instance < 0 || instance > range.max) {
    throw new RangeError(`instance ${instance} is outside 0-${range.max}`);
  }
  // Apps stay on this machine; the instance's own infrastructure goes where it is placed.
  const appPortIds = new Set(Object.values<AppDecl>(decl.apps).flatMap((a) => (a.port ? [a.port] : [])));
  const ports = portsOf(decl, instance, shared, (id, isShared) => (options.placement && !isShared && !appPortIds.has(id) ? options.placement.address : LOCAL_HOST));
  const portOf = Object.fromEntries(ports.map((p) => [p.id, p.port])) as Record<string, number>;
  const hostOf = Object.fromEntries(ports.map((p) => [p.id, p.host])) as Record<string, string>;
  const at = (service: string): number => {
    const port = portOf[service];
    if (port === undefined) throw new Error(`declaration names unknown service '${service}'`);
    return port;
  };
  const { project } = decl;
  const composeProject = names.composeProjectName(project, instance);
  const passwords = options.passwords ?? {};
  const slices = planSlices({ decl, instance, port: at, host: (service) => hostOf[service] ?? LOCAL_HOST, passwords });
  const urls = appUrls(decl, instance, at, options.proxy);
  const ctx = contextOf(decl, slices, {
    instance, ports: portOf, hosts: hostOf, composeProject,
    urls: Object.fromEntries(Object.entries(urls).map(([app, u]) => [app, u.named ?? u.direct])),
  });
  const dir = names.instanceDir(instance);
  const apps = appsOf(decl, instance, dir, at, ctx, urls, options.proxy);
  const homeApp = homeAppOf(decl);
  const images = imageOverrides(decl, options.env);

  // Infrastructure ports: every port no app listens on.
  const own = ports.filter((x) => !x.shared && !appPortIds.has(x.id));
  const pg = decl.infra?.postgres;
  const superuser = pg && { user: pg.user, password: passwords.postgres ?? pg.password };
  const credentials = { ...(superuser ? { superuser } : {}), ...(passwords.redis ? { redisPassword: passwords.redis } : {}) };
  const infra: InfraScope = {
    label: `instance ${instance}`, project, composeProject, pm2Namespace: names.pm2Namespace(project, instance),
    nameSuffix: String(instance), shared: false, dir,
    files: { composeOverride: `${dir}/docker-compose.override.yml`, logs: `${dir}/logs` },
    services: composeServices(decl).filter((svc) => !shared.has(svc)),
    images: pick(images, (svc) => !shared.has(svc)),
    ports: own,
    compose: { override: composeOverride(decl, own, ctx, images, options.placement?.address ?? decl.bindAddress) },
    ...credentials,
    ...(options.placement ? { placement: options.placement } : {}),
  };
  const sharedInfra = shared.size === 0 ? undefined : sharedScope(decl, ports.filter((x) => x.shared), ctx, credentials, images);

  return {
    instance, project, composeProject,
    pm2Namespace: names.pm2Namespace(project, instance),
    dir,
    files: { composeOverride: infra.files.composeOverride, ecosystem: `${dir}/ecosystem.json`, logs: infra.files.logs },
    ports,
    portMoves: new Map(ports.map((p) => [p.basePort, p.port])),
    ...slices, apps,
    ...(homeApp ? { homeApp } : {}),
    ...(options.proxy && homeApp ? { proxy: { port: options.proxy.port, home: namedUrl(appHost(project, instance), options.proxy) } } : {}),
    compose: infra.compose,
    ...(options.placement ? { placement: options.placement } : {}),
    infra, sharedInfra,
    warnings: ports
      .filter((p) => isEphemeral(p.port))
      .map((p) => `${p.label} port ${p.port} is in the Linux ephemeral range (32768-60999): an outgoing connection can hold it briefly`),
  };
}

/** Every declared port of instance N: base + N * stride, or the base port for a shared service; and where it answers. */
function portsOf(decl: StackDeclaration, instance: number, shared: ReadonlySet<string>, hostFor: (id: string, shared: boolean) => string): PortEntry[] {
  return Object.entries(decl.services).map(([id, s]) => {
    const isShared = s.container !== undefined && shared.has(s.container.service);
    return {
      id, shared: isShared, key: s.portKey, label: s.label, basePort: s.basePort,
      port: isShared ? s.basePort : s.basePort + instance * decl.portStride,
      host: hostFor(id, isShared),
      ...(s.scheme ? { scheme: s.scheme } : {}),
      ...(s.container ? { container: s.container } : {}),
    };
  });
}

/**
 * The env functions' context: the plan's values, and every slice kind as a key. Reading a kind the
 * declaration has no server for is a ConfigError (exit 2) naming the key and the missing entry.
 */
function contextOf(decl: StackDeclaration, slices: Slices, base: Omit<PlanContext, keyof Slices>): PlanContext {
  const ctx: Record<string, unknown> = { ...base };
  for (const kind of SLICES) {
    const value = slices[kind.key];
    Object.defineProperty(ctx, kind.key, {
      enumerable: value !== undefined,
      get: () => {
        if (value !== undefined) return value;
        throw new ConfigError([`env reads ctx.${kind.key}, but infra.${kind.infra} is not declared: declare infra.${kind.infra}, or take the keys that read it out of env`]);
      },
    });
  }
  return ctx as unknown as PlanContext;
}

/** The app a bare `http://<N>.<project>.localhost` opens: the declared one, else the first app with a port. */
export const homeAppOf = (decl: StackDeclaration): string | undefined =>
  decl.proxy?.home ?? Object.entries<AppDecl>(decl.apps).find(([, a]) => a.port !== undefined)?.[0];

type AppUrls = Record<string, NonNullable<AppPlan['url']>>;

/** Every app with a port: its direct URL, and its named one when the proxy is on. */
function appUrls(decl: StackDeclaration, instance: number, at: (service: string) => number, proxy: PlanOptions['proxy']): AppUrls {
  const out: AppUrls = {};
  for (const [id, app] of Object.entries<AppDecl>(decl.apps)) {
    if (app.port === undefined) continue;
    out[id] = { direct: `http://localhost:${at(app.port)}`, ...(proxy ? { named: namedUrl(appHost(decl.project, instance, id), proxy) } : {}) };
  }
  return out;
}

/**
 * An env function's result, every value a string (a number is written as one): a key whose value is
 * anything else (a slice's field misspelt, `redis.ur1`, is undefined) is a ConfigError naming it.
 */
function envOf(where: string, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[k] = String(v);
    else throw new ConfigError([`${where}.${k} is ${v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v)}: expected a string${v === undefined ? ' (a misspelt field of ctx, such as redis.ur1, is undefined)' : ''}`]);
  }
  return out;
}

function appsOf(decl: StackDeclaration, instance: number, dir: string, at: (service: string) => number, ctx: PlanContext, urls: AppUrls, proxy: PlanOptions['proxy']): AppPlan[] {
  const stackEnv = envOf('env', decl.env(ctx));
  return Object.entries<AppDecl>(decl.apps).map(([id, app]): AppPlan => {
    const port = app.port === undefined ? undefined : at(app.port);
    const url = urls[id];
    return {
      id,
      pm2Name: names.pm2AppName(decl.project, id, instance),
      cwd: app.cwd,
      ...programOf(app, port),
      ...(port === undefined ? {} : { port }),
      ...(url ? { url } : {}),
      ...(app.health ? { health: app.health } : {}),
      ...(app.ready ? { ready: app.ready } : {}),
      needsInfrastructure: app.needsInfrastructure !== false,
      // The instance variable last: an app knows its instance (and the tool knows its processes) whatever env declares.
      env: {
        ...caEnv(proxy), ...stackEnv, ...(port === undefined ? {} : { PORT: String(port) }), ...envOf(`apps.${id}.env`, app.env?.(ctx) ?? {}),
        [names.instanceEnvVar(decl.project)]: String(instance),
      },
      envSources: app.envSources,
      envFile: `${dir}/${id}.env`,
      localEnvFile: `${dir}/${id}.local.env`,
    };
  });
}

/**
 * With HTTPS on, every app trusts the machine's CA for its calls to named URLs: Node adds it to its
 * own list; OpenSSL-based runtimes (Python, Ruby, curl) and requests read a whole bundle, so they get
 * the system's with the CA after it, and nothing when no system bundle was found. The declaration's own keys win.
 */
function caEnv(proxy: PlanOptions['proxy']): Record<string, string> {
  const tls = proxy?.https;
  if (!tls) return {};
  return { NODE_EXTRA_CA_CERTS: tls.ca, ...(tls.bundle ? { SSL_CERT_FILE: tls.bundle, REQUESTS_CA_BUNDLE: tls.bundle } : {}) };
}

/**
 * What PM2 runs for an app: its Node script, or its command's executable with the command's arguments
 * first; `{port}` in a word is the instance's port (`vite --port {port}`).
 */
export function programOf(app: AppDecl, port?: number): Pick<AppPlan, 'script' | 'args' | 'interpreter'> {
  const fill = (w: string) => (port === undefined ? w : w.replaceAll('{port}', String(port)));
  if (app.command === undefined) return { script: app.script ?? '', args: (app.args ?? []).map(fill), interpreter: 'node' };
  const [exe = '', ...rest] = commandWords(app.command);
  return { script: exe, args: [...rest, ...(app.args ?? [])].map(fill), interpreter: 'none' };
}

const pick = <T>(rec: Record<string, T>, keep: (key: string) => boolean): Record<string, T> =>
  Object.fromEntries(Object.entries(rec).filter(([k]) => keep(k)));

function sharedScope(decl: StackDeclaration, ports: PortEntry[], ctx: PlanContext, credentials: Credentials,
  images: Record<string, ImageChoice>): InfraScope {
  const composeProject = names.sharedProjectName(decl.project);
  const services = [...new Set(ports.flatMap((p) => (p.container ? [p.container.service] : [])))];
  return {
    label: 'shared infrastructure', project: decl.project, composeProject, pm2Namespace: composeProject,
    nameSuffix: 'infra', shared: true, dir: names.SHARED_DIR,
    files: { composeOverride: `${names.SHARED_DIR}/docker-compose.override.yml`, logs: `${names.SHARED_DIR}/logs` },
    services,
    images: pick(images, (svc) => services.includes(svc)),
    ports,
    // The shared set's compose keys (credentials, advertised addresses) come from base-port values.
    compose: { override: composeOverride(decl, ports, ctx, images, decl.bindAddress) },
    ...credentials,
  };
}

/** bind: the address published ports are bound to (the declaration's on this machine, the host's own address on a placed host). */
function composeOverride(decl: StackDeclaration, ports: PortEntry[], ctx: PlanContext, images: Record<string, ImageChoice>, bind: string): ComposeOverride {
  const services: ComposeOverride['services'] = {};
  for (const p of ports) {
    if (!p.container) continue;
    const svc = (services[p.container.service] ??= { ports: [] });
    svc.ports.push(`${bind.includes(':') ? `[${bind}]` : bind}:${p.port}:${p.container.port}`);
  }
  const inScope = new Set(ports.flatMap((p) => (p.container ? [p.container.service] : [])));
  for (const [name, extra] of Object.entries(decl.composeOverrides ?? {})) {
    if (!inScope.has(name)) continue;
    const svc = (services[name] ??= { ports: [] });
    if (extra) Object.assign(svc, extra(ctx));
  }
  // Every override, also for services outside this set: compose starts a dependency (an isolated
  // Temporal's Postgres) inside the project, and it needs an image that can be had just the same.
  for (const [name, choice] of Object.entries(images)) (services[name] ??= { ports: [] }).image = choice.image;
  return { services };
}
