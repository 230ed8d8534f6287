/** User-facing wording of the CLI, in one place. */
import type { InstancePlan } from '../plan/plan.js';

export const PROGRAM = 'dev-instances';

export function usage(commands: readonly { name: string; usage: string; summary: string }[], max: number, envVar: string): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    'Usage: just dev [N|all] [ACTION] [FLAGS]     (or: dev-instance-manager ACTION N)',
    '',
    'Actions:',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    `N is an instance number from 0 to ${max}; without N, ${envVar} or else 0.`,
  ].join('\n');
}

export const errorLine = (message: string): string => `${PROGRAM}: ${message}`;
export const warningLine = (message: string): string => `${PROGRAM}: warning: ${message}`;

export const notATarget = (raw: string, max: number, actions: readonly string[]): string =>
  `'${raw}' is neither an action nor an instance number: expected an integer from 0 to ${max}, or one of ${actions.join(', ')}`;

export const noAllFor = (action: string): string => `${action} works on one instance; give a number, not 'all'`;

export const mask = (url: string, password: string): string =>
  password === '' ? url : url.replace(`:${encodeURIComponent(password)}@`, ':****@');

/** The `info` text: what a person needs to reach and recognise the instance. */
export function infoText(p: InstancePlan): string {
  const rows: [string, string][] = p.ports.map((x) => [x.label, address(x.scheme, x.port)]);
  const width = Math.max(...rows.map(([k]) => k.length), 'Compose project'.length);
  const line = (k: string, v: string) => `  ${k.padEnd(width)}  ${v}`;
  return [
    `Instance ${p.instance} of ${p.project}`,
    ...rows.map(([k, v]) => line(k, v)),
    '',
    line('Compose project', p.composeProject),
    line('Database', `${p.database.name}  ${mask(p.database.url, p.database.password)}`),
    line('Temporal', `namespace ${p.temporal.namespace}, task queue ${p.temporal.taskQueue} at ${p.temporal.address}`),
    line('Redis prefix', `'${p.redis.keyPrefix}' at ${p.redis.url}`),
    line('PM2 apps', `${p.apps.map((a) => a.pm2Name).join(', ')}  (namespace ${p.pm2Namespace})`),
    line('Files', `${p.dir}/`),
  ].join('\n');
}

function address(scheme: string | undefined, port: number): string {
  switch (scheme) {
    case 'http': return `http://localhost:${port}`;
    case 'postgresql': return `postgresql://localhost:${port}`;
    case 'redis': return `redis://localhost:${port}`;
    default: return `localhost:${port}`;
  }
}
