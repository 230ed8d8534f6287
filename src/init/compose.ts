/**
 * What `init` reads from a project's compose files: each service the default profile starts, the kind
 * of server its image is, the host ports it publishes (short and long syntax, `${VAR:-5432}` filled
 * from the project's .env), whether it has a healthcheck, and its credentials. Pure.
 */

import { interpolate } from '../engines/docker/compose-text.js';

export { interpolate };

/** Kinds the tool knows, from image names; `infra` is the declaration key the tool gives a slice or probe. */
const KINDS: { re: RegExp; kind: string; label: string; infra?: 'postgres' | 'redis' | 'temporal' | 'minio' | 'loki' | 'redpanda' }[] = [
  { re: /(^|\/)(postgres|postgis|timescaledb|pgvector)[^/]*(:|$)/, kind: 'postgres', label: 'PostgreSQL', infra: 'postgres' },
  { re: /(^|\/)(redis|valkey|keydb)[^/]*(:|$)/, kind: 'redis', label: 'Redis', infra: 'redis' },
  { re: /(^|\/)temporalio\/(auto-setup|server|temporal)(:|$)/, kind: 'temporal', label: 'Temporal', infra: 'temporal' },
  { re: /(^|\/)temporalio\/ui(:|$)/, kind: 'temporal-ui', label: 'Temporal UI' },
  { re: /(^|\/)minio(:|$)/, kind: 'minio', label: 'MinIO', infra: 'minio' },
  { re: /(^|\/)loki(:|$)/, kind: 'loki', label: 'Loki', infra: 'loki' },
  { re: /(^|\/)(redpanda|cp-kafka|kafka)(:|$)/, kind: 'kafka', label: 'Kafka', infra: 'redpanda' },
  { re: /(^|\/)console(:|$)/, kind: 'redpanda-console', label: 'Redpanda Console' },
  { re: /(^|\/)mongo[^/]*(:|$)/, kind: 'mongo', label: 'MongoDB' },
  { re: /(^|\/)(mysql|mariadb)(:|$)/, kind: 'mysql', label: 'MySQL' },
  { re: /(^|\/)keycloak(:|$)/, kind: 'keycloak', label: 'Keycloak' },
  { re: /(^|\/)qdrant(:|$)/, kind: 'qdrant', label: 'Qdrant' },
  { re: /(^|\/)neo4j(:|$)/, kind: 'neo4j', label: 'Neo4j' },
  { re: /(^|\/)(milvus|milvus-standalone)(:|$)/, kind: 'milvus', label: 'Milvus' },
  { re: /(^|\/)(elasticsearch|opensearch)(:|$)/, kind: 'search', label: 'Search' },
  { re: /(^|\/)(rabbitmq)(:|$)/, kind: 'rabbitmq', label: 'RabbitMQ' },
  { re: /(^|\/)(mailhog|mailpit)(:|$)/, kind: 'mail', label: 'Mail catcher' },
];

export interface FoundPort {
  published: number;
  target: number;
  /** The .env variable the published port is read from (`${PG_PORT:-5432}:5432`), when it is one the env files set. */
  variable?: string;
}

/** The variable a whole value names: `${VAR}`, `${VAR:-default}`, `$VAR`. */
const variableOf = (raw: string): string | undefined => /^\$\{(\w+)(?::?[-?+][^}]*)?\}$|^\$(\w+)$/.exec(raw.trim())?.slice(1).find(Boolean);

export interface FoundService {
  /** The compose service. */
  name: string;
  image?: string;
  kind?: string;
  label: string;
  infra?: (typeof KINDS)[number]['infra'];
  ports: FoundPort[];
  healthcheck: boolean;
  /** POSTGRES_USER and POSTGRES_PASSWORD, where it sets them. */
  /** POSTGRES_USER and POSTGRES_PASSWORD; passwordFrom: the variable the password came from, when it came from .env. */
  credentials?: { user: string; password: string; passwordFrom?: string };
}

export interface ComposeReading {
  services: FoundService[];
  /** What was left out, and why, for the summary. */
  skipped: string[];
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The published host ports of one `ports:` entry (a range gives none: it cannot be moved per instance). */
export function publishedPorts(entry: unknown, env: Readonly<Record<string, string>>): FoundPort[] {
  const fromEnv = (raw: string) => {
    const v = variableOf(raw);
    return v !== undefined && env[v] ? { variable: v } : {};
  };
  if (isObject(entry)) {
    const published = Number(interpolate(String(entry.published ?? ''), env));
    const target = Number(interpolate(String(entry.target ?? ''), env));
    return Number.isInteger(published) && published > 0 && Number.isInteger(target) ? [{ published, target, ...fromEnv(String(entry.published)) }] : [];
  }
  const raw = String(entry).replace(/\/(tcp|udp)$/, '');
  const text = interpolate(raw, env);
  // [IP:]PUBLISHED:TARGET, where IP may be [::1]; a bare TARGET publishes nothing fixed.
  const m = /^(?:(?:\[[^\]]*\]|[\d.]+):)?(\d+):(\d+)$/.exec(text);
  if (!m) return [];
  // The published part as written: the variables hidden first (their defaults hold colons too).
  const vars: string[] = [];
  const parts = raw.replace(/^\[[^\]]*\]:/, '').replace(/\$\{[^}]*\}|\$\w+/g, (v) => `\0${vars.push(v) - 1}\0`).split(':');
  const hidden = /^\0(\d+)\0$/.exec(parts[parts.length - 2] ?? '');
  return [{ published: Number(m[1]), target: Number(m[2]), ...(hidden ? fromEnv(vars[Number(hidden[1])] ?? '') : {}) }];
}

function kindOf(image: string | undefined) {
  return image === undefined ? undefined : KINDS.find((k) => k.re.test(image.toLowerCase()));
}

function envOf(s: Raw, env: Readonly<Record<string, string>>, fill = true): Record<string, string> {
  const e = s.environment;
  const pairs: [string, string][] = Array.isArray(e)
    ? e.map((x) => String(x).split('=')).map(([k = '', ...v]) => [k, v.join('=')])
    : Object.entries(isObject(e) ? e : {}).map(([k, v]) => [k, String(v ?? '')]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, fill ? interpolate(v, env) : v]));
}

/** Postgres's user and password as the service sets them; where the password is a variable of .env, which one. */
function credentialsOf(s: Raw, env: Readonly<Record<string, string>>): NonNullable<FoundService['credentials']> {
  const e = envOf(s, env);
  const from = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(envOf(s, {}, false).POSTGRES_PASSWORD ?? '')?.[1];
  return { user: e.POSTGRES_USER || 'postgres', password: e.POSTGRES_PASSWORD || 'postgres', ...(from && env[from] ? { passwordFrom: from } : {}) };
}

/**
 * The services of the merged files that compose starts without a profile, in file order; services
 * with a `profiles:` list are left out, said so. Later files override earlier ones key by key (ports
 * are appended, as compose does).
 */
export function readServices(docs: readonly unknown[], env: Readonly<Record<string, string>>): ComposeReading {
  const merged = new Map<string, Raw>();
  for (const doc of docs) {
    const services = isObject(doc) && isObject(doc.services) ? doc.services : {};
    for (const [name, s] of Object.entries(services)) {
      if (!isObject(s)) continue;
      const before = merged.get(name) ?? {};
      const ports = [...(Array.isArray(before.ports) ? before.ports : []), ...(Array.isArray(s.ports) ? s.ports : [])];
      merged.set(name, { ...before, ...s, ports });
    }
  }
  const out: ComposeReading = { services: [], skipped: [] };
  for (const [name, s] of merged) {
    if (Array.isArray(s.profiles) && s.profiles.length > 0) {
      out.skipped.push(`${name}: only in profile ${s.profiles.join(', ')}`);
      continue;
    }
    const image = typeof s.image === 'string' ? interpolate(s.image, env) : undefined;
    const k = kindOf(image);
    const hc = s.healthcheck;
    const seen = new Set<number>();
    const ports = (s.ports as unknown[]).flatMap((p) => publishedPorts(p, env)).filter((p) => !seen.has(p.published) && seen.add(p.published));
    out.services.push({
      name, ...(image ? { image } : {}), ...(k ? { kind: k.kind, ...(k.infra ? { infra: k.infra } : {}) } : {}),
      label: k?.label ?? name,
      ports,
      healthcheck: isObject(hc) && hc.disable !== true && !(Array.isArray(hc.test) && hc.test[0] === 'NONE'),
      ...(k?.kind === 'postgres' ? { credentials: credentialsOf(s, env) } : {}),
    });
  }
  return out;
}
