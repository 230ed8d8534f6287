/**
 * ShipSec Studio's stack, the reference the tool was built for: Postgres, Redis, Temporal, MinIO,
 * Loki and Redpanda under docker compose (docker/docker-compose.infra.yml), and three apps (a Vite
 * frontend, a backend, a Temporal worker). Instance N gets every port at `basePort + N * portStride`;
 * every name derives from `project`. The tool's tests check this file against ShipSec's port table.
 */
import { defineStack } from 'dev-instances';

export default defineStack({
  project: 'shipsec',
  portStride: 100,
  bindAddress: '127.0.0.1',
  composeFiles: ['docker/docker-compose.infra.yml'],

  // Order matters: `ports` prints the keys in this order.
  services: {
    frontend: { label: 'Frontend', portKey: 'FRONTEND', basePort: 5173, scheme: 'http' },
    backend: { label: 'Backend', portKey: 'BACKEND', basePort: 3211, scheme: 'http' },
    temporal: {
      label: 'Temporal client', portKey: 'TEMPORAL_CLIENT', basePort: 7233, scheme: 'grpc',
      container: { service: 'temporal', port: 7233 },
    },
    'temporal-ui': {
      label: 'Temporal UI', portKey: 'TEMPORAL_UI', basePort: 8081, scheme: 'http',
      container: { service: 'temporal-ui', port: 8080 },
    },
    postgres: {
      label: 'PostgreSQL', portKey: 'POSTGRES', basePort: 5433, scheme: 'postgresql',
      container: { service: 'postgres', port: 5432 },
    },
    'minio-api': {
      label: 'MinIO API', portKey: 'MINIO_API', basePort: 9000, scheme: 'http',
      container: { service: 'minio', port: 9000 },
    },
    'minio-console': {
      label: 'MinIO Console', portKey: 'MINIO_CONSOLE', basePort: 9001, scheme: 'http',
      container: { service: 'minio', port: 9001 },
    },
    redis: {
      label: 'Redis', portKey: 'REDIS', basePort: 6379, scheme: 'redis',
      container: { service: 'redis', port: 6379 },
    },
    loki: {
      label: 'Loki', portKey: 'LOKI', basePort: 3100, scheme: 'http',
      container: { service: 'loki', port: 3100 },
    },
    redpanda: {
      label: 'Redpanda', portKey: 'REDPANDA', basePort: 9092, scheme: 'kafka',
      // The host-facing listener; containers use the internal one (redpanda:29092).
      container: { service: 'redpanda', port: 19092 },
    },
    'redpanda-console': {
      label: 'Redpanda Console', portKey: 'REDPANDA_UI', basePort: 8082, scheme: 'http',
      container: { service: 'redpanda-console', port: 8080 },
    },
  },

  apps: {
    frontend: {
      cwd: 'apps/frontend', script: 'dev.mjs', port: 'frontend',
      needsInfrastructure: false, // Vite serves files; the page calls the backend later
      envSources: ['apps/frontend/.env.example', 'apps/frontend/.env'],
    },
    backend: {
      cwd: 'apps/backend', script: 'server.mjs', port: 'backend', health: '/health',
      envSources: ['apps/backend/.env.example', 'apps/backend/.env'],
    },
    worker: {
      cwd: 'apps/worker', script: 'worker.mjs', ready: 'signal',
      envSources: ['apps/worker/.env.example', 'apps/worker/.env'],
    },
  },

  infra: {
    postgres: { service: 'postgres', user: 'shipsec', password: 'shipsec' },
    redis: { service: 'redis' },
    temporal: { service: 'temporal', retention: '72h', ui: 'temporal-ui' },
    minio: { service: 'minio-api', console: 'minio-console' },
    loki: { service: 'loki' },
    redpanda: { service: 'redpanda' },
  },

  composeOverrides: {
    // Credentials live here once; the base compose file carries none.
    postgres: ({ database }) => ({
      environment: { POSTGRES_USER: database.user, POSTGRES_PASSWORD: database.password, POSTGRES_DB: 'postgres' },
    }),
    temporal: ({ database }) => ({
      environment: { POSTGRES_USER: database.user, POSTGRES_PWD: database.password },
    }),
    // Redpanda tells clients where to reconnect: the host-facing address must carry the
    // instance's own port, so the command is per instance.
    redpanda: ({ ports, hosts }) => ({
      command: [
        'redpanda', 'start', '--mode', 'dev-container', '--smp', '1',
        '--kafka-addr', 'internal://0.0.0.0:29092,external://0.0.0.0:19092',
        '--advertise-kafka-addr', `internal://redpanda:29092,external://${hosts.redpanda}:${ports.redpanda}`,
      ],
    }),
  },

  env: (ctx) => ({
    SHIPSEC_ENV: 'development',
    NODE_ENV: 'development',
    // The backend as the browser reaches it: its named URL through the local proxy (its own cookie
    // jar per instance), or http://localhost:PORT when named URLs are off.
    VITE_API_URL: ctx.urls.backend ?? '',
    DATABASE_URL: ctx.database.url,
    TEMPORAL_ADDRESS: ctx.temporal.address,
    TEMPORAL_NAMESPACE: ctx.temporal.namespace,
    TEMPORAL_TASK_QUEUE: ctx.temporal.taskQueue,
    REDIS_URL: ctx.redis.url,
    REDIS_KEY_PREFIX: ctx.redis.keyPrefix,
    TERMINAL_REDIS_URL: ctx.redis.url,
    LOG_KAFKA_BROKERS: `${ctx.hosts.redpanda}:${ctx.ports.redpanda}`,
  }),
});
