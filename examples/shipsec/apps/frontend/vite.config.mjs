// Vite serves the demo frontend on the instance's frontend port. Each instance keeps its own
// dependency cache so two instances started together never write to the same one.
import { defineConfig } from 'vite';

const instance = process.env.SHIPSEC_INSTANCE ?? '0';
export default defineConfig({
  cacheDir: `../../.instances/instance-${instance}/.vite`,
  clearScreen: false,
  server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173), strictPort: true },
});
