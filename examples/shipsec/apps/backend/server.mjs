// Demo backend: a small HTTP API on its instance's PORT, with a record table in its own Postgres
// database and values in Redis under its own key prefix. Everything comes from the environment that
// dev-instances renders for the instance.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';

// Under PM2 a failed start-up must end the process (PM2 only logs unhandled rejections), so that
// PM2's restart limit can turn a crash loop into "errored".
process.on('unhandledRejection', (err) => {
  console.error('fatal:', err instanceof Error ? err.message : err);
  process.exit(1);
});

const env = process.env;
const port = Number(env.PORT);
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });
pool.on('error', (err) => console.error('postgres:', err.message));
const redis = new Redis(env.REDIS_URL, { keyPrefix: env.REDIS_KEY_PREFIX, maxRetriesPerRequest: 2 });
redis.on('error', (err) => console.error('redis:', err.message));
const unavailable = (env.DEV_INSTANCES_UNAVAILABLE ?? '').split(',').filter(Boolean);

await pool.query('CREATE TABLE IF NOT EXISTS records (id serial PRIMARY KEY, body text NOT NULL, created_at timestamptz DEFAULT now())');

let temporal = { reachable: false, checkedAt: 0 };
async function temporalReachable() {
  if (unavailable.includes('temporal')) return false;
  if (Date.now() - temporal.checkedAt < 5_000) return temporal.reachable;
  let reachable = false;
  try {
    const { Connection } = await import('@temporalio/client');
    const c = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 1_000 });
    await c.close();
    reachable = true;
  } catch { /* not reachable */ }
  temporal = { reachable, checkedAt: Date.now() };
  return reachable;
}

// The frontend calls from its own origin (its named URL, or another localhost port): answer that
// origin with credentials allowed, so the session cookie travels with its calls.
const json = (res, status, body, extra = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...corsFor(res.req.headers.origin), ...extra });
  res.end(JSON.stringify(body));
};
const corsFor = (origin) => (origin
  ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'origin', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'GET,POST,PUT,OPTIONS' }
  : { 'access-control-allow-origin': '*' });
const cookieOf = (req, name) => (req.headers.cookie ?? '').split(';').map((c) => c.trim().split('=')).find(([k]) => k === name)?.[1];
const readBody = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.on('data', (c) => { data += c; if (data.length > 1e6) req.destroy(); });
  req.on('end', () => { try { resolve(data ? JSON.parse(data) : {}); } catch (e) { reject(e); } });
});

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'OPTIONS') return json(res, 204, {});
    // A toy session: the name in a cookie of this backend's host. Each instance's named URL is its
    // own host, so signing in to one instance signs in to that one only.
    if (url.pathname === '/session' && req.method === 'POST') {
      const { name } = await readBody(req);
      if (typeof name !== 'string' || !/^[\w.-]{1,40}$/.test(name)) return json(res, 400, { error: 'name must be 1-40 letters, digits, . _ -' });
      return json(res, 200, { name }, { 'set-cookie': `session=${name}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (url.pathname === '/session') return json(res, 200, { instance: Number(env.SHIPSEC_INSTANCE), name: cookieOf(req, 'session') ?? null });
    if (url.pathname === '/health') {
      const [db, kv] = await Promise.allSettled([pool.query('SELECT current_database() AS name'), redis.ping()]);
      const ok = db.status === 'fulfilled' && kv.status === 'fulfilled';
      return json(res, ok ? 200 : 503, {
        ok, instance: Number(env.SHIPSEC_INSTANCE), database: db.status === 'fulfilled' ? db.value.rows[0].name : null,
        redisPrefix: env.REDIS_KEY_PREFIX, temporalNamespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TEMPORAL_TASK_QUEUE,
        temporalReachable: await temporalReachable(), unavailable,
      });
    }
    if (url.pathname === '/records' && req.method === 'POST') {
      const { body } = await readBody(req);
      if (typeof body !== 'string' || !body) return json(res, 400, { error: 'body must be a non-empty string' });
      const { rows } = await pool.query('INSERT INTO records (body) VALUES ($1) RETURNING id, body', [body]);
      return json(res, 201, rows[0]);
    }
    if (url.pathname === '/records') {
      const { rows } = await pool.query('SELECT id, body FROM records ORDER BY id');
      return json(res, 200, rows);
    }
    const kv = /^\/kv\/([\w.-]+)$/.exec(url.pathname);
    if (kv && req.method === 'PUT') {
      const { value } = await readBody(req);
      await redis.set(kv[1], String(value));
      return json(res, 200, { key: kv[1], value: String(value) });
    }
    if (kv) return json(res, 200, { key: kv[1], value: await redis.get(kv[1]) });
    if (url.pathname === '/jobs' && req.method === 'POST') {
      const payload = await readBody(req);
      await redis.lpush('jobs', JSON.stringify(payload));
      return json(res, 202, { queued: true });
    }
    if (url.pathname === '/jobs/results') {
      const { rows } = await pool.query("SELECT to_regclass('job_results') IS NOT NULL AS present");
      if (!rows[0].present) return json(res, 200, []);
      return json(res, 200, (await pool.query('SELECT id, payload, done_by FROM job_results ORDER BY id')).rows);
    }
    json(res, 404, { error: 'not found' });
  } catch (err) {
    json(res, 500, { error: err.message });
  }
});

server.listen(port, '127.0.0.1', () => console.log(`backend of instance ${env.SHIPSEC_INSTANCE} on http://localhost:${port}`));
const shutdown = () => server.close(() => { redis.disconnect(); pool.end().finally(() => process.exit(0)); });
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
