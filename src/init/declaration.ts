/**
 * The declaration `init` writes, as TypeScript text, from what it read: services (the apps' ports
 * first, then each published port of the compose services), apps, the infrastructure the tool knows,
 * and env keys whose URL must name the instance's own database or Redis. Pure.
 */
import { type FoundApp, idOf, withPortPlaceholder } from './apps.js';
import type { FoundService } from './compose.js';
import type { UrlKey } from './env-urls.js';
import { type InstanceRange, instanceRange } from '../plan/range.js';

export interface InitModel {
  project: string;
  composeFiles: string[];
  services: FoundService[];
  apps: FoundApp[];
  /** Env files the apps read (relative to the project). */
  envSources: string[];
  /** Keys of those files holding a Postgres or Redis URL. */
  urlKeys: UrlKey[];
  /** What the files were, for the header. */
  sources: string[];
}

export interface PlannedService {
  id: string;
  label: string;
  basePort: number;
  scheme?: 'http' | 'postgresql' | 'redis' | 'grpc' | 'kafka';
  container?: { service: string; port: number };
  /** The .env variable compose reads its published port from: each instance's apps get the instance's port in it. */
  variable?: string;
  /** How its readiness is told, for the summary. */
  probe: string;
}

const SCHEMES: Record<string, PlannedService['scheme']> = { postgres: 'postgresql', redis: 'redis', temporal: 'grpc', kafka: 'kafka' };
/** Kinds whose published port is a web page or an HTTP API (info lists its URL). */
const HTTP_KINDS = new Set(['temporal-ui', 'minio', 'loki', 'redpanda-console', 'keycloak', 'qdrant', 'search', 'mail']);
/** A mail catcher's SMTP ports beside its web page: no URL for them. */
const SMTP_PORTS = new Set([25, 465, 587, 1025, 2525]);
const portKey = (id: string) => id.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');

/** A project name the declaration takes, from package.json's name or the folder's. */
export const projectName = (name: string): string => idOf(name.replace(/^@[^/]+\//, '')).slice(0, 30).replace(/-+$/, '') || 'app';

/** Every port entry, in order; a base port seen before is left out (said in `dropped`). */
export function plannedServices(m: InitModel): { services: PlannedService[]; dropped: string[] } {
  const out: PlannedService[] = [];
  const dropped: string[] = [];
  const taken = new Map<number, string>();
  const ids = new Set<string>();
  const add = (s: PlannedService) => {
    const holder = taken.get(s.basePort);
    if (holder) { dropped.push(`left out ${s.id}: port ${s.basePort} is already ${holder}'s`); return; }
    let id = s.id;
    for (let i = 2; ids.has(id); i++) id = `${s.id}-${i}`;
    ids.add(id);
    taken.set(s.basePort, id);
    out.push({ ...s, id });
  };
  for (const a of m.apps) if (a.port) add({ id: a.id, label: a.id, basePort: a.port, scheme: 'http', probe: 'its app health' });
  const kinds = m.services.map((s) => s.kind);
  for (const s of m.services) {
    s.ports.forEach((p, i) => {
      // One server of a kind takes the kind's name (postgres, redis); otherwise its compose name.
      const base = s.kind && kinds.filter((k) => k === s.kind).length === 1 && !['temporal-ui', 'redpanda-console'].includes(s.kind) ? s.kind : idOf(s.name, 'service');
      add({
        id: i === 0 ? base : `${base}-${p.target}`, label: i === 0 ? s.label : `${s.label} ${p.target}`, basePort: p.published,
        ...(s.kind && SCHEMES[s.kind] && i === 0 ? { scheme: SCHEMES[s.kind] } : HTTP_KINDS.has(s.kind ?? '') && !SMTP_PORTS.has(p.target) ? { scheme: 'http' as const } : {}),
        container: { service: s.name, port: p.target },
        ...(p.variable ? { variable: p.variable } : {}),
        probe: s.infra && i === 0 ? `${s.label}'s own probe` : s.healthcheck ? 'its compose healthcheck' : 'a TCP connect (no probe known for it)',
      });
    });
  }
  return { services: out, dropped };
}

/** A string literal in single quotes: backslash, quote and line breaks escaped. */
const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
const bare = (k: string) => /^[A-Za-z_$][\w$]*$/.test(k);
/** An object key as written by hand: bare when it can be. */
const key = (k: string) => (bare(k) ? k : q(k));
/** A property read as written by hand: `.name`, or `['a-name']`. */
const member = (k: string) => (bare(k) ? `.${k}` : `[${q(k)}]`);
const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`;

/** Instances a fresh declaration should allow at least: 0 to 9, for a team's branches and agents. */
const ENOUGH_INSTANCES = 9;
/** Strides tried in turn: the usual 100; then 1000, under which a port keeps its last three digits; then 200 and 500. */
const STRIDES = [100, 1000, 200, 500];

/**
 * The port stride for these base ports: 100 unless two ports lie a few strides apart (an API on 8100
 * and a web app on 8200 would leave only instance 0), then the first that allows instances 0 to 9,
 * else the one that allows the most. Its range, and why a stride was passed over, for the summary.
 */
export function strideFor(services: readonly PlannedService[]): { stride: number; range: InstanceRange; passed?: string } {
  const tried = STRIDES.map((stride) => ({ stride, range: instanceRange(services, stride) }));
  const chosen = tried.find((t) => t.range.max >= ENOUGH_INSTANCES) ?? tried.reduce((a, t) => (t.range.max > a.range.max ? t : a));
  const usual = tried[0];
  return { ...chosen, ...(usual && chosen.stride !== usual.stride ? { passed: `with 100, only instances 0 to ${usual.range.max}: ${usual.range.reason}` } : {}) };
}

/** The declaration file's text. */
export function declarationText(m: InitModel): { text: string; services: PlannedService[]; dropped: string[]; stride: ReturnType<typeof strideFor> } {
  const { services, dropped } = plannedServices(m);
  const chosen = strideFor(services);
  const { stride } = chosen;
  const byContainer = (infra: string) => {
    const s = m.services.find((x) => x.infra === infra);
    return s && services.find((p) => p.container?.service === s.name);
  };
  const infra: string[] = [];
  const pg = byContainer('postgres');
  const pgFound = m.services.find((x) => x.infra === 'postgres');
  if (pg && pgFound?.credentials) {
    // A password from .env stays there: the declaration reads the variable when it loads, as compose does.
    const from = pgFound.credentials.passwordFrom;
    const password = from ? `composeEnv(new URL('.env', import.meta.url))${member(from)}` : q(pgFound.credentials.password);
    infra.push(`postgres: { service: ${q(pg.id)}, user: ${q(pgFound.credentials.user)}, password: ${password} }`);
  }
  const redis = byContainer('redis');
  if (redis) infra.push(`redis: { service: ${q(redis.id)} }`);
  const temporal = byContainer('temporal');
  if (temporal) infra.push(`temporal: { service: ${q(temporal.id)}, retention: '72h' }`);
  for (const k of ['minio', 'loki'] as const) {
    const s = byContainer(k);
    if (s) infra.push(`${k}: { service: ${q(s.id)} }`);
  }
  // A broker advertises the address its own configuration names: each instance's must name the
  // instance's port (composeOverrides) before its topic prefix can be served; until then, a port.
  const broker = byContainer('redpanda');
  if (broker) dropped.push(`left out infra.redpanda for ${broker.id}: a Kafka broker advertises its configured listener (the base port); give each instance its own in composeOverrides, then declare infra.redpanda for a topic prefix per instance`);
  const declared = new Set(infra.map((i) => i.split(':')[0]));
  const served = m.urlKeys.filter((k) => declared.has(k.kind === 'database' ? 'postgres' : 'redis'));
  const urlKeys: { key: string; value: string; kind: 'database' | 'redis' }[] = served
    .map((k) => ({ ...k, value: `${k.kind}.url${k.tail ? ` + ${q(k.tail)}` : ''}` }));
  for (const k of served) {
    if (k.dropped.length) dropped.push(`${k.key}: left out ${k.dropped.join('&')} of its options: each instance's URL names its own server and database`);
  }
  // Apps that share one Redis keep apart by prefix: each instance's is in their environment.
  if (declared.has('redis')) urlKeys.push({ key: 'REDIS_KEY_PREFIX', value: 'redis.keyPrefix', kind: 'redis' });
  // A port variable of .env (PG_PORT) names the instance's port, as the URLs do.
  const portVars = [...new Map(services.filter((s) => s.variable && !urlKeys.some((k) => k.key === s.variable))
    .map((s) => [s.variable, { key: s.variable ?? '', value: `String(ports${member(s.id)})` }])).values()];
  const ctx = [...new Set(urlKeys.map((k) => k.kind as string)), ...(portVars.length ? ['ports'] : [])];
  const envLines = [...urlKeys, ...portVars];
  const appPort = (a: FoundApp) => services.find((s) => s.id === a.id && !s.container);
  const lines = [
    `// Written by \`dev-instances init\` from ${m.sources.join(', ') || 'nothing it recognised'}. Yours to edit: every key is in`,
    '// node_modules/dev-instances/docs/DECLARATION.md. Instance N gets every port at basePort + N * portStride.',
    `import { ${pgFound?.credentials?.passwordFrom && pg ? 'composeEnv, ' : ''}defineStack } from 'dev-instances';`,
    '',
    'export default defineStack({',
    `  project: ${q(m.project)},`,
    `  portStride: ${stride},`,
    "  bindAddress: '127.0.0.1',",
    ...(m.composeFiles.length ? [`  composeFiles: ${list(m.composeFiles)},`] : []),
    '  services: {',
    ...services.map((s) => `    ${key(s.id)}: { label: ${q(s.label)}, portKey: ${q(portKey(s.id))}, basePort: ${s.basePort}${s.scheme ? `, scheme: ${q(s.scheme)}` : ''}${s.container ? `, container: { service: ${q(s.container.service)}, port: ${s.container.port} }` : ''} },`),
    '  },',
    '  apps: {',
    ...(m.apps.length === 0 ? ["    // None found (no PM2 ecosystem file, Procfile or package.json dev script): add yours, e.g.", "    // api: { cwd: 'api', command: 'npm run dev', port: 'api', envSources: ['.env'] },"] : []),
    ...m.apps.map((a) => {
      const port = appPort(a);
      const fill = (ws: readonly string[]) => (a.port ? withPortPlaceholder(ws, a.port) : [...ws]);
      const program = a.script ? `script: ${q(a.script)}${a.args?.length ? `, args: ${list(fill(a.args))}` : ''}` : `command: ${list(fill(a.command ?? []))}`;
      return `    ${key(a.id)}: { cwd: ${q(a.cwd)}, ${program}${port ? `, port: ${q(port.id)}` : ''}, envSources: ${list(m.envSources)} },`;
    }),
    '  },',
    ...(infra.length ? ['  infra: {', ...infra.map((i) => `    ${i},`), '  },'] : []),
    ...(envLines.length
      ? [`  env: ({ ${ctx.join(', ')} }) => ({`, ...envLines.map((k) => `    ${key(k.key)}: ${k.value},`), '  }),']
      : ['  env: () => ({}),']),
    '});',
    '',
  ];
  return { text: lines.join('\n'), services, dropped, stride: chosen };
}
