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

export const COMPOSE_PROJECT_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const DATABASE_NAME_RE = /^[a-z_][a-z0-9_]*$/;
export const MAX_IDENTIFIER_BYTES = 63;
