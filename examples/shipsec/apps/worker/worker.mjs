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
const temporalStop = new AbortController();
let temporalDone = Promise.resolve();
if ((env.DEV_INSTANCES_UNAVAILABLE ?? '').split(',').includes('temporal')) {
  console.log('Temporal is not available on this engine: its task queue is not polled');
} else {
  // Activities of the instance's task queue: the same job recording, done through Temporal.
  const { runActivityWorker } = await import('./temporal-activities.mjs');
  temporalDone = runActivityWorker({
    address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TEMPORAL_TASK_QUEUE,
    identity: `${name}@${process.pid}`, signal: temporalStop.signal,
    activities: {
      recordJob: async (payload) => {
        const { rows } = await pool.query('INSERT INTO job_results (payload, done_by) VALUES ($1, $2) RETURNING id', [JSON.stringify(payload), `${name} (temporal)`]);
        return { id: rows[0].id, doneBy: name };
      },
    },
  }).catch((err) => console.log(`temporal: not reachable (${err.message}); jobs still come through Redis`));
}

let running = true;
const stop = () => {
  running = false;
  temporalStop.abort();
  redis.disconnect();
  temporalDone.finally(() => pool.end()).finally(() => process.exit(0));
};
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
