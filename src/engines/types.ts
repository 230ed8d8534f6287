/**
 * One interface for every engine that runs an instance's infrastructure. This is the only place
 * that knows docker from native: lifecycle code asks an Engine, never for an engine by name. A new
 * engine is a folder under src/engines/ and one line in select.ts.
 */
import type { StackDeclaration } from '../config/types.js';
import type { InfraScope } from '../plan/plan.js';
import type { Pm2Process } from '../pm2/client.js';
import type { Streaming } from '../proc/run.js';

export type EngineName = 'docker' | 'native';

/** One set of infrastructure: an instance's own (plan.infra) or the shared one (plan.sharedInfra). */
export interface EngineTarget {
  decl: StackDeclaration;
  scope: InfraScope;
  root: string;
}

export interface ServiceState {
  /** Infrastructure kind or compose service, e.g. 'postgres'. */
  service: string;
  /** PM2 process or compose container name. */
  process: string;
  port: number;
  /**
   * online: it answers the probe a start waits for. starting: it runs but does not answer yet.
   * unhealthy: a container whose own healthcheck has failed. stopped, errored: not running.
   */
  state: 'online' | 'stopped' | 'errored' | 'starting' | 'unhealthy' | 'absent' | 'unavailable';
  pid?: number;
  restarts?: number;
  startedAt?: number;
  memory?: number;
  /** Why a service is unavailable, with the install hint. */
  detail?: string;
  /** Where its output goes, when the engine writes it to a file. */
  logFile?: string;
}

export interface Unavailable {
  service: string;
  /** Why, with what to install. */
  detail: string;
}

/** What an engine can and cannot run here, found before anything starts. */
export interface Inspection {
  /** Optional services it cannot run: the instance runs without them (apps are told). */
  unavailable: Unavailable[];
  /** Required services it cannot run: a start must stop before anything runs. */
  missing: Unavailable[];
}

export interface UpReport {
  started: string[];
  alreadyRunning: string[];
  unavailable: Unavailable[];
}

export interface DatabaseRef {
  name: string;
  user: string;
  password: string;
  port: number;
}

export interface LogOptions {
  lines: number;
  follow: boolean;
  /** One compose service's only (logs N postgres). */
  service?: string;
}

export type EngineAction = 'up' | 'stop' | 'remove-data';

export interface Engine {
  readonly name: EngineName;
  /** Its processes run under PM2 (and so show in PM2's list); otherwise only the engine knows them. */
  readonly underPm2: boolean;
  /** It runs Postgres and Redis itself, each asking for the machine's password (src/secrets.ts); else they are the project's own (compose), with the declaration's. */
  readonly machinePasswords: boolean;
  /**
   * What this engine can run of the set here; starts nothing. fetch: it may fetch what it lacks
   * (docker pulls absent images; a start asks this, a dry run does not).
   */
  inspect(t: EngineTarget, opts?: { fetch?: boolean }): Promise<Inspection>;
  /** Start what is not running and wait until every service answers; idempotent. */
  up(t: EngineTarget): Promise<UpReport>;
  /** Stop the set and keep its data; its ports are free afterwards. Whether anything was running. */
  stop(t: EngineTarget): Promise<boolean>;
  /** Remove processes or containers (and networks), keep data. */
  down(t: EngineTarget): Promise<void>;
  /** Remove the set's data (volumes or data directory); the set must be stopped. */
  removeData(t: EngineTarget): Promise<void>;
  /** pm2: one PM2 list the caller already has (native services are PM2 processes). */
  status(t: EngineTarget, pm2: readonly Pm2Process[]): Promise<ServiceState[]>;
  /** Is the set's database data still there (a cluster directory, a volume)? */
  databasePresent(t: EngineTarget): Promise<boolean>;
  /** `pg_dump -Fc` of one database of the set into file. */
  dumpDatabase(t: EngineTarget, db: DatabaseRef, file: string): Promise<void>;
  /** `pg_restore` of a `-Fc` dump into one (new, empty) database of the set; fails at the first error. */
  restoreDatabase(t: EngineTarget, db: DatabaseRef, file: string): Promise<void>;
  /** Absolute paths whose presence in a process's command line or cwd marks it as the set's. */
  processMarks(t: EngineTarget): Promise<string[]>;
  /** Logs the engine keeps itself (beside the instance's log files); undefined when it has none. */
  logs(t: EngineTarget, opts: LogOptions, onLine: (prefix: string, line: string) => void): Promise<Streaming | undefined>;
  /**
   * Instances whose infrastructure this engine holds (running or stopped), found without any local
   * file: what `all` commands and an instance whose folder was deleted rely on. [] when it cannot tell.
   */
  instances(decl: StackDeclaration): Promise<number[]>;
  /** What an action would run, in words and command lines, for --dry-run. Runs nothing. */
  describe(t: EngineTarget, action: EngineAction): Promise<string[]>;
  /**
   * `docker compose ARGS` of the set's project, files and environment, on this terminal; its exit
   * code. Only an engine that runs compose projects has it.
   */
  compose?(t: EngineTarget, args: readonly string[]): Promise<number>;
}
