/** The instance's own key prefix on the declared Redis (infra.redis): apps write under it, clean unlinks it. */
import { redisKeyPrefix } from '../plan/names.js';
import { clientAddress } from '../plan/addresses.js';
import type { SliceKind } from './types.js';

export interface RedisSlice {
  url: string;
  keyPrefix: string;
  host: string;
  port: number;
  /** What the server asks for (the native engine's Redis); its URL carries it too. */
  password?: string;
}

const userinfo = (password: string | undefined): string => (password ? `:${encodeURIComponent(password)}@` : '');

/** The Redis server that holds the keys, as the tool's clients reach it. */
export const redisUrlOf = (r: RedisSlice): string => `redis://${userinfo(r.password)}${clientAddress(r.host)}:${r.port}`;

export const redis: SliceKind<'redis', RedisSlice> = {
  key: 'redis',
  infra: 'redis',
  title: 'Redis prefix',
  service: (decl) => decl.infra?.redis?.service ?? '',
  plan({ decl, instance, port, host, passwords: { redis: redisPassword } }) {
    const r = decl.infra?.redis;
    if (!r) return undefined;
    const at = host(r.service);
    const p = port(r.service);
    return {
      url: `redis://${userinfo(redisPassword)}${at}:${p}`, keyPrefix: redisKeyPrefix(decl.project, instance), host: at, port: p,
      ...(redisPassword ? { password: redisPassword } : {}),
    };
  },
  show: (r) => `'${r.keyPrefix}' at redis://${r.password ? ':****@' : ''}${r.host}:${r.port}`,
  noun: 'key prefix',
  gone: 'Redis keys',
  name: (r) => r.keyPrefix,
  server: (r) => `${r.host}:${r.port}`,
  json: (r) => ({ redisPrefix: r.keyPrefix }),
  intent: (r, verb) => `${verb === 'create' ? 'Redis keys' : 'unlink Redis keys'} under '${r.keyPrefix}' on ${clientAddress(r.host)}:${r.port}`,
  ensure: async () => 'nothing',
  drop: async (r) => `${await (await import('../provision/redis.js')).dropPrefix(redisUrlOf(r), r.keyPrefix)} Redis key(s)`,
};
