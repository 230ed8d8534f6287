/** `npm run bench [-- NAME...]`: run the benchmarks (all by default) and print their tables. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloneNewBench, dataBench } from './data.js';
import { dockerBench } from './docker.js';
import { infraBench } from './infra.js';
import { lifecycleBench } from './lifecycle.js';
import { httpsBench } from './https.js';
import { proxyBench } from './proxy.js';
import { remoteBench } from './remote.js';
import { scaleBench } from './scale.js';
import { startupBench } from './startup.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benches: Record<string, () => void | Promise<void>> = {
  startup: () => startupBench(repo),
  infra: () => infraBench(repo),
  lifecycle: () => lifecycleBench(repo),
  scale: () => scaleBench(repo),
  docker: () => dockerBench(repo),
  proxy: () => proxyBench(repo),
  https: () => httpsBench(repo),
  data: () => dataBench(repo),
  'clone-new': () => cloneNewBench(repo),
  remote: () => remoteBench(repo),
};
const wanted = process.argv.slice(2);
for (const name of wanted) if (!(name in benches)) throw new Error(`unknown bench '${name}' (have: ${Object.keys(benches).join(', ')})`);
/** Run only when named: a part of another bench on its own. */
const PARTS = new Set(['clone-new']);
for (const [name, run] of Object.entries(benches)) if (wanted.includes(name) || (wanted.length === 0 && !PARTS.has(name))) await run();
