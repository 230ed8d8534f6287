/** Every per-instance name, derived from the project name and the instance number. One rule for all N. */

export const composeProjectName = (project: string, n: number): string => `${project}-dev-${n}`;
/** The compose project (and PM2 namespace) of the infrastructure shared by every instance. */
export const sharedProjectName = (project: string): string => `${project}-infra`;
export const pm2AppName = (project: string, app: string, n: number | string): string => `${project}-${app}-${n}`;
export const pm2Namespace = composeProjectName;
export const temporalNamespace = composeProjectName;
export const taskQueue = composeProjectName;
/** Postgres identifiers: lower case, digits and underscore only. */
export const databaseName = (project: string, n: number): string =>
  `${project.replace(/-/g, '_')}_dev_${n}`;
/** Ends with a delimiter so instance 1's prefix is never a prefix of instance 10's keys. */
export const redisKeyPrefix = (project: string, n: number): string => `${project}-dev-${n}:`;
export const instanceDirName = (n: number): string => `instance-${n}`;
/** The environment variable naming the active instance, e.g. SHIPSEC_INSTANCE. */
export const instanceEnvVar = (project: string): string =>
  `${project.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_INSTANCE`;

/** Where everything the tool writes lives, relative to the checkout. */
export const INSTANCES_DIR = '.instances';
export const SHARED_DIR = `${INSTANCES_DIR}/shared`;
export const BACKUPS_DIR = `${INSTANCES_DIR}/backups`;
export const instanceDir = (n: number): string => `${INSTANCES_DIR}/${instanceDirName(n)}`;
export const backupsDir = (n: number): string => `${BACKUPS_DIR}/${instanceDirName(n)}`;
/** Snapshots of any instance, by name: outside every instance folder, so clean never removes one. */
export const SNAPSHOTS_DIR = `${INSTANCES_DIR}/snapshots`;
/** A snapshot's name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64, no '..', not digits alone (a folder name, never a path). */
/** How a Docker host is named (--host, the declaration's host): a context, or an endpoint. */
export const DOCKER_HOST_RE = /^(?:[a-zA-Z0-9][a-zA-Z0-9_.+-]*|(?:tcp|ssh|unix):\/\/\S+)$/;

export const isSnapshotName = (name: string): boolean => /^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name) && !name.includes('..') && !/^\d+$/.test(name);
/** The native engine's data of an infrastructure set (its folder is instanceDir(N) or SHARED_DIR). */
export const instanceDataDir = (setDir: string): string => `${setDir}/data`;
export const lockFile = (setDir: string): string => `${setDir}/.lock`;
/** Compose names a project's volume `<project>_<volume>`: a renamed project gets new, empty volumes. */
export const composeVolumeName = (composeProject: string, volume: string): string => `${composeProject}_${volume}`;

/** The instance number of a folder name (`instance-12` → 12), or undefined. */
export function instanceOfDirName(name: string): number | undefined {
  const m = /^instance-(0|[1-9]\d*)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The instance number of a PM2 namespace or compose project (`shipsec-dev-12` → 12), or undefined. */
export function instanceOfProject(project: string, name: string): number | undefined {
  const prefix = composeProjectName(project, 0).slice(0, -1);
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** Told to every app, comma-separated: the infrastructure the engine cannot run here. */
export const UNAVAILABLE_SERVICES_KEY = 'DEV_INSTANCES_UNAVAILABLE';

/** The variable that points a compose service at another image: postgres -> DEV_INSTANCES_IMAGE_POSTGRES. */
export const imageEnvVar = (composeService: string): string =>
  `DEV_INSTANCES_IMAGE_${composeService.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export const COMPOSE_PROJECT_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const DATABASE_NAME_RE = /^[a-z_][a-z0-9_]*$/;
export const MAX_IDENTIFIER_BYTES = 63;
