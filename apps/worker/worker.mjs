// Demo worker: takes jobs from the Redis list `jobs` under its instance's key prefix and records the
// results in its instance's Postgres database.
import { Redis } from 'ioredis';
import pg from 'pg';

// Under PM2 a failed start-up must end the process (PM2 only logs unhandled rejections), so that
// PM2's restart limit can turn a crash loop into "errored".
process.on('unhandledRejection', (err) => {
  console.error('fatal:', err instanceof Error ? err.message : err);
  process.exit(1);
});

const env = process.env;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
pool.on('error', (err) => console.error('postgres:', err.message));
const redis = new Redis(env.REDIS_URL, { keyPrefix: env.REDIS_KEY_PREFIX, maxRetriesPerRequest: null });
redis.on('error', (err) => console.error('redis:', err.message));
const name = `worker-${env.SHIPSEC_INSTANCE}`;

await pool.query('CREATE TABLE IF NOT EXISTS job_results (id serial PRIMARY KEY, payload jsonb NOT NULL, done_by text NOT NULL)');
await redis.ping();
console.log(`${name} waiting for jobs on ${env.REDIS_KEY_PREFIX}jobs (task queue ${env.TEMPORAL_TASK_QUEUE})`);
process.send?.('ready'); // PM2 wait_ready: dev-instances counts the worker as up from here
if ((env.DEV_INSTANCES_UNAVAILABLE ?? '').split(',').includes('temporal')) {
  console.log('Temporal is not available on this engine: workflows are not polled');
}

let running = true;
const stop = () => { running = false; redis.disconnect(); pool.end().finally(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

while (running) {
  try {
    const got = await redis.brpop('jobs', 5);
    if (!got) continue;
    await pool.query('INSERT INTO job_results (payload, done_by) VALUES ($1, $2)', [got[1], name]);
  } catch (err) {
    if (running) { console.error('job failed:', err.message); await new Promise((r) => setTimeout(r, 1000)); }
  }
}
