/**
 * The shape of a stack declaration: everything the tool needs to know about a user's stack.
 * The tool itself knows nothing about any particular stack; the project's declaration fills this in.
 */
import type { SliceContext } from '../slices/table.js';

/** A port that every instance gets its own copy of (base + N * stride). */
export interface ServiceDecl {
  /** Human name, shown by `info` and `status`. */
  label: string;
  /** Key used by `ports` (KEY=port lines); upper case. */
  portKey: string;
  /** Port of instance 0. */
  basePort: number;
  /** Which kind of URL `info` prints for this port, if any. */
  scheme?: 'http' | 'postgresql' | 'redis' | 'grpc' | 'kafka';
  /** Where the docker engine publishes this port from: compose service and container port. */
  container?: { service: string; port: number };
  /**
   * How to tell it is ready, when it is infrastructure: an HTTP path that answers 2xx or 3xx, or a
   * command run here that exits 0 ({port} filled in). Without it: its kind's probe (Postgres, Redis,
   * Temporal), else the compose healthcheck (docker engine), else a TCP connect.
   */
  ready?: { http: string } | { command: string[] };
  /**
   * How the native engine runs it when it has no recipe for its kind: a command line (executable on
   * PATH first) with {port} and {dataDir} (the instance's own folder for it) filled in.
   */
  native?: { command: string[] };
}

/** One application process handed to PM2. */
export interface AppDecl<S extends string = string> {
  /** Working directory, relative to the repository root. */
  cwd: string;
  /**
   * A Node script PM2 runs with node, relative to cwd. Give either this or `command`.
   */
  script?: string;
  /**
   * Any program: the executable (on PATH, or relative to cwd) and its arguments, as a list or as one
   * string split at spaces (no shell: no quotes, pipes or $VARS). `['uvicorn', 'app:app', '--reload']`,
   * `'bun run dev'`, `'go run .'`. Its port comes in PORT, like a script's.
   */
  command?: string | string[];
  /** Arguments after the script or the command's own. */
  args?: string[];
  /** The service whose port this app listens on; becomes PORT in its environment. */
  port?: NoInfer<S>;
  /** HTTP path that answers 200 when the app is healthy (apps with a port); otherwise a TCP connect counts. */
  health?: string;
  /**
   * 'signal': the app calls process.send('ready') once initialised (PM2 wait_ready), which is how an
   * app without a port says it is up. Without it, a port-less app counts as up after staying online 1 s.
   */
  ready?: 'signal';
  /**
   * false: the app needs no infrastructure to start (a dev server that only serves files), so it
   * starts while the infrastructure comes up. Default true: it starts once the infrastructure answers
   * and its database, namespace and key prefix exist.
   */
  needsInfrastructure?: boolean;
  /** Source env files, relative to the repository root, applied in order (later files win). */
  envSources: string[];
  /** Keys owned by the plan for this app only (on top of the stack-wide `env`). */
  env?: (ctx: PlanContext<NoInfer<S>>) => Record<string, string>;
}

/** A command's words: a list as it is, a string split at spaces (no shell). */
export const commandWords = (command: string | readonly string[]): string[] =>
  typeof command === 'string' ? command.trim().split(/\s+/).filter(Boolean) : [...command];

/**
 * Values handed to the declaration's env functions: everything plan(N) already knows, with the
 * instance's slices (database, redis, temporal: see src/slices/). Reading a slice whose server the
 * declaration does not have (ctx.redis without infra.redis) is an error naming the key.
 */
export interface PlanContext<S extends string = string> extends SliceContext {
  instance: number;
  ports: Record<S, number>;
  /**
   * Where each port answers, as the apps reach it: 'localhost', or the address of the Docker host the
   * instance's infrastructure is placed on. Use it with the port (`${hosts.redpanda}:${ports.redpanda}`).
   */
  hosts: Record<S, string>;
  composeProject: string;
  /**
   * The URL a browser uses for each app with a port, by app name: its named URL through the local
   * proxy (`http://backend.2.shipsec.localhost:1380`) when the proxy is on, else `http://localhost:PORT`.
   */
  urls: Record<string, string>;
}

export interface StackDeclaration<S extends string = string, A extends string = string> {
  /** Short lower-case project name; every per-instance name derives from it. */
  project: string;
  /** Distance between the ports of instance N and instance N+1. */
  portStride: number;
  /** Address the docker engine binds published ports to. */
  bindAddress: string;
  /** Every per-instance port, in the order `ports` prints them. */
  services: Record<S, ServiceDecl>;
  apps: Record<A, AppDecl<S>>;
  /**
   * Which service is which piece of infrastructure the tool knows. Every entry is optional: each
   * one declared gets its readiness probe, and Postgres, Redis and Temporal a slice per instance.
   */
  infra?: {
    postgres?: { service: NoInfer<S>; user: string; password: string };
    redis?: { service: NoInfer<S> };
    temporal?: { service: NoInfer<S>; retention: string; ui?: NoInfer<S> };
    /** Its S3 API service (a bucket per instance), console, and credentials (MinIO's defaults, minioadmin, when left out). */
    minio?: { service: NoInfer<S>; console?: NoInfer<S>; accessKey?: string; secretKey?: string };
    loki?: { service: NoInfer<S> };
    /** A Kafka-protocol broker (Redpanda or Kafka): a topic prefix and client id per instance; `topics` (names under the prefix) are created on start. */
    redpanda?: { service: NoInfer<S>; topics?: string[] };
  };
  /**
   * Infrastructure per instance ('isolated', the default: own servers on own ports) or one set on the
   * base ports for every instance ('shared': isolation by database, namespace and key prefix only),
   * for all compose services or per compose service.
   */
  infraSharing?: Sharing | Partial<Record<string, Sharing>>;
  /** Which engine runs the infrastructure: docker where an engine answers, else native (default 'auto'). */
  engine?: 'auto' | 'docker' | 'native';
  /**
   * Images to use instead of the base compose file's, by compose service (a mirror registry, an
   * internal or locally built image). DEV_INSTANCES_IMAGE_<SERVICE> in the environment wins.
   */
  images?: Partial<Record<string, string>>;
  /**
   * The project's compose files, merged in this order (then each set's generated override). Default:
   * the first of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml in the project.
   */
  composeFiles?: string | string[];
  /** Extra keys of a compose service in the generated override, from the instance's plan values. */
  composeOverrides?: Partial<Record<string, (ctx: PlanContext<NoInfer<S>>) => Record<string, unknown>>>;
  /**
   * Named URLs through the machine's one local proxy (docs/URLS.md). On unless enabled is false
   * (or DEV_INSTANCES_PROXY=off). home: the app that `http://<N>.<project>.localhost` opens; by default
   * the first app with a port.
   */
  proxy?: { enabled?: boolean; home?: NoInfer<A> };
  /**
   * A snapshot (just dev N snapshot NAME) that an instance's new database starts from, as
   * `--seed NAME` does; a database that exists is kept. A name this checkout has no snapshot of is a
   * warning, and the instance starts empty.
   */
  seed?: string;
  /**
   * The Docker host new instances' own infrastructure runs on (docs/ENGINES.md: Remote Docker hosts): a Docker
   * context name, `tcp://HOST:PORT`, `ssh://[USER@]HOST`, or 'local'. `--host` and DEV_INSTANCES_HOST
   * win; an instance that ran before stays where its data is.
   */
  host?: string;
  /** Keys owned by the plan in every app's environment. */
  env: (ctx: PlanContext<NoInfer<S>>) => Record<string, string>;
}

export type Sharing = 'isolated' | 'shared';

/** Identity function that gives a declaration its types (service names checked across tables). */
export function defineStack<const S extends string, const A extends string>(
  decl: StackDeclaration<S, A>,
): StackDeclaration<S, A> {
  return decl;
}
