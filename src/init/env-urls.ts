/**
 * The keys of a project's env files that hold a Postgres or Redis URL, and what of each URL the
 * instance's own must keep: the options after the database (`?sslmode=…`, `?schema=…`) and Redis's
 * database number (`/3`). Pure: the files come read.
 */
import { EnvDocument } from '../env/dotenv-doc.js';

export interface UrlKey {
  key: string;
  kind: 'database' | 'redis';
  /** Appended to the instance's URL: `?options` for Postgres, `/db?options` for Redis; '' when none. */
  tail: string;
  /** Options left out because they would name another server or database than the instance's. */
  dropped: string[];
}

/** libpq options that would point the connection somewhere else than the URL's own server and database. */
const ELSEWHERE = new Set(['host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'service']);

function tailOf(kind: UrlKey['kind'], value: string): { tail: string; dropped: string[] } {
  const m = kind === 'database' ? /^[a-z]+:\/\/[^?#]*(\?[^#]*)?/i.exec(value) : /^[a-z]+:\/\/[^/?#]*(\/\d+)?\/?(\?[^#]*)?/i.exec(value);
  const db = kind === 'redis' ? (m?.[1] ?? '') : '';
  const query = (kind === 'database' ? m?.[1] : m?.[2]) ?? '';
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const pair of query.slice(1).split('&').filter(Boolean)) {
    const raw = pair.split('=')[0] ?? '';
    let name = raw;
    try { name = decodeURIComponent(raw); } catch { /* kept as written */ }
    (kind === 'database' && ELSEWHERE.has(name) ? dropped : kept).push(pair);
  }
  return { tail: `${db}${kept.length ? `?${kept.join('&')}` : ''}`, dropped };
}

export function urlKeys(texts: readonly string[]): UrlKey[] {
  const out = new Map<string, UrlKey>();
  for (const text of texts) {
    for (const [key, value] of Object.entries(EnvDocument.parse(text).toObject())) {
      const kind = /^postgres(ql)?:\/\//.test(value) ? 'database' : /^rediss?:\/\//.test(value) ? 'redis' : undefined;
      if (kind) out.set(key, { key, kind, ...tailOf(kind, value) });
    }
  }
  return [...out.values()];
}
