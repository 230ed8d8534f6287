/** One interface for every engine that runs an instance's infrastructure. */
import type { StackDeclaration } from '../config/types.js';
import type { InfraScope } from '../plan/plan.js';

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
  state: 'online' | 'stopped' | 'errored' | 'starting' | 'absent' | 'unavailable';
  pid?: number;
  restarts?: number;
  startedAt?: number;
  memory?: number;
  /** Why a service is unavailable, with the install hint. */
  detail?: string;
}

export interface UpReport {
  started: string[];
  alreadyRunning: string[];
  /** Services this engine cannot run here, with the reason and install hint. */
  unavailable: { service: string; detail: string }[];
}

export interface Engine {
  readonly name: EngineName;
  /** Start what is not running and wait until every service answers; idempotent. */
  up(t: EngineTarget): Promise<UpReport>;
  /** Stop the processes or containers, keep data. */
  stop(t: EngineTarget): Promise<void>;
  /** Remove processes or containers (and networks), keep data. */
  down(t: EngineTarget): Promise<void>;
  /** Remove the instance's data (volumes or data directory); the instance must be down. */
  removeData(t: EngineTarget): Promise<void>;
  status(t: EngineTarget): Promise<ServiceState[]>;
}
