/**
 * Instance data at size, measured in one run on the native engine, with a source database of at
 * least 500 MB (instance 1, on the shared Postgres where golden templates work):
 * - a copy on one server: CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY, and WAL_LOG, against
 *   pg_dump -Fc + pg_restore of the same data (target: FILE_COPY at most 1/10 of dump + restore);
 * - the tool's copies: clone --from-snapshot the first time (restore into the golden template, then
 *   a file copy) and the next time (the file copy alone), and a clone of a stopped instance;
 * - throughput in MB of database per second: `snapshot` against raw pg_dump -Fc, and `restore NAME`
 *   into a running instance on its own server against what replacing a database by hand takes there
 *   (DROP DATABASE, CREATE DATABASE, pg_restore) (target: at least 0.9x).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { median, printTable } from './lib.js';
import { type Sandbox, mustDev, sandbox } from './sandbox.js';

/** The shared Postgres, with the password the native engine made for the sandbox (set once it has started). */
const machine = { password: '' };
const SHARED = { host: '127.0.0.1', port: 5433, user: 'shipsec', get password() { return machine.password; } };
const MB = 1024 * 1024;

async function sql<T = unknown>(database: string, text: string, server = SHARED): Promise<{ rows: T[]; ms: number }> {
  const c = new pg.Client({ ...server, database });
  await c.connect();
  try {
    const t0 = performance.now();
    const r = await c.query(text);
    return { rows: r.rows as T[], ms: performance.now() - t0 };
  } finally {
    await c.end();
  }
}

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PGPASSWORD: SHARED.password } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

const pgArgs = (server: typeof SHARED) => ['-h', server.host, '-p', String(server.port), '-U', server.user];

/** Rows of random-looking text (md5s compress like real data, not like repeated letters) until the database holds `targetMb`. */
export async function fill(database: string, targetMb: number): Promise<number> {
  await sql(database, 'CREATE TABLE IF NOT EXISTS bench_rows (id bigint PRIMARY KEY, a text, b text, n numeric, at timestamptz)');
  let from = 1;
  for (;;) {
    const size = Number((await sql<{ s: string }>(database, `SELECT pg_database_size('${database}') AS s`)).rows[0]?.s ?? 0);
    if (size >= targetMb * MB) return size;
    const to = from + 500_000;
    await sql(database, `INSERT INTO bench_rows SELECT g, md5(g::text) || md5((g * 7)::text), md5((g * 13)::text) || md5((g * 17)::text),
      g * 1.5, now() - g * interval '1 second' FROM generate_series(${from}, ${to - 1}) g`);
    from = to;
  }
}

/** ms between two trace lines of a command run with DEV_INSTANCES_TRACE=1. */
function phase(stderr: string, from: string, to: string): number {
  const at = (what: string) => Number(new RegExp(`\\[ *(\\d+) ms\\] ${what}`).exec(stderr)?.[1] ?? Number.NaN);
  return at(to) - at(from);
}

/**
 * A new instance made from another's data, against the closest peer's `wt new` (@tokenbooks/wt from
 * npm, in the same run): a git worktree, a slot and `CREATE DATABASE … TEMPLATE` of the main
 * database. Here: `just dev M clone 1` for an instance M that never ran, on the shared Postgres,
 * with instance 1's apps stopped (a template copy needs a source nobody is connected to, for wt too).
 * Each round removes what it made (wt remove; clean --no-backup), untimed.
 */
export async function newInstanceFromData(box: Sandbox, rounds: number): Promise<{ wt: number[]; ours: number[]; traces: string[] }> {
  const wtDir = mkdtempSync(join(tmpdir(), 'di-bwt-'));
  const home = join(wtDir, 'home');
  const repo = join(wtDir, 'repo');
  try {
    const installed = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', wtDir, `@tokenbooks/wt@${WT_VERSION}`], { encoding: 'utf8' });
    if (installed.status !== 0) throw new Error(`npm install @tokenbooks/wt failed: ${installed.stderr}`);
    // wt asks npm for a newer version once a day, in the timed process: its cache says it asked just now.
    mkdirSync(join(home, '.cache'), { recursive: true });
    writeFileSync(join(home, '.cache', 'wt-update-check.json'), JSON.stringify({ latest: WT_VERSION, checkedAt: Date.now() + 86_400_000 }));
    mkdirSync(repo);
    writeFileSync(join(repo, '.env'), `DATABASE_URL=postgresql://${SHARED.user}:${SHARED.password}@${SHARED.host}:${SHARED.port}/shipsec_dev_1\n`);
    writeFileSync(join(repo, 'wt.config.json'), JSON.stringify({
      baseDatabaseName: 'shipsec_dev_1', baseWorktreePath: '.worktrees', portStride: 100, maxSlots: 20, services: [{ name: 'backend', defaultPort: 3211 }],
      envFiles: [{ source: '.env', patches: [{ var: 'DATABASE_URL', type: 'database' }] }],
    }));
    writeFileSync(join(repo, '.gitignore'), '.worktrees/\n.worktree-registry.json\n');
    const git = (...args: string[]) => spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '--allow-empty', '-m', 'start');
    const wtBin = join(wtDir, 'node_modules', '.bin', 'wt');
    const wt = (...args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(wtBin, args, { cwd: repo, encoding: 'utf8', env: { ...process.env, HOME: home } });
      if (r.status !== 0) throw new Error(`wt ${args.join(' ')} failed: ${r.stderr}`);
      return performance.now() - t0;
    };
    const out = { wt: [] as number[], ours: [] as number[], traces: [] as string[] };
    for (let r = 0; r < rounds; r++) {
      const branch = `bench-${r}`;
      const steps = [
        () => { out.wt.push(wt('new', branch, '--no-install')); },
        async () => {
          const r = await box.dev('5', 'clone', '1', '--infra', 'shared');
          if (r.code !== 0) throw new Error(`just dev 5 clone 1 failed: ${r.stderr}`);
          out.ours.push(r.ms);
          out.traces.push(r.stderr.split('\n').filter((l) => / \[ *\d+ ms\] /.test(l)).join('\n'));
        },
      ];
      for (const step of r % 2 ? steps.reverse() : steps) await step();
      wt('remove', join(repo, '.worktrees', branch), '--force');
      await mustDev(box, '5', 'clean', '--yes', '--no-backup');
    }
    return out;
  } finally {
    rmSync(wtDir, { recursive: true, force: true });
  }
}

/** The version of wt the comparison installs: fixed, so runs compare like with like. */
const WT_VERSION = '0.6.1';

export async function dataBench(repo: string, targetMb = 520, rounds = 3): Promise<void> {
  const box = sandbox(repo, 'di-bdata', { DEV_INSTANCES_TRACE: '1', DEV_INSTANCES_ENGINE: 'native' });
  const dev = (...args: string[]) => mustDev(box, ...args);
  const scratch = join(box.root, 'raw.dump');
  const own = { host: SHARED.host, port: 5633, user: SHARED.user, get password() { return machine.password; } }; // instance 2's own Postgres
  try {
    for (const n of ['1', '3', '4']) await dev(n, '--infra', 'shared');
    machine.password = box.machinePassword('postgres');
    await dev('2'); // its own Postgres, running with its apps: the restore a user makes of the instance they work on
    const bytes = await fill('shipsec_dev_1', targetMb);
    await sql('shipsec_dev_1', 'VACUUM ANALYZE bench_rows');
    await sql('postgres', 'CHECKPOINT');
    for (const n of ['1', '3', '4']) await dev(n, 'stop');
    const mb = bytes / MB;

    const fresh = await newInstanceFromData(box, rounds);
    printTable(`A new instance from instance 1's data (${mb.toFixed(0)} MB), median of ${rounds} interleaved (target: at most 1.0x wt new)`,
      ['how', 'time', 'x wt new'], [
        [`wt new BRANCH (@tokenbooks/wt ${WT_VERSION}: git worktree + CREATE DATABASE … TEMPLATE)`, `${(median(fresh.wt) / 1000).toFixed(2)} s`, '1.00'],
        ['just dev 5 clone 1 (5 never ran; apps left for just dev 5)', `${(median(fresh.ours) / 1000).toFixed(2)} s`, (median(fresh.ours) / median(fresh.wt)).toFixed(2)],
      ]);

    // Throughput, interleaved rounds: raw pg_dump against snapshot; a raw replace (drop, create,
    // pg_restore) against restore, on the same server (instance 2's).
    const rawDump: number[] = [];
    const snap: number[] = [];
    const rawRestore: number[] = [];
    const restore: number[] = [];
    const restorePhase: number[] = [];
    // Each measured step starts settled (no writes of the step before still being flushed), and
    // the order alternates between rounds, so neither side pays for the other.
    const settle = async () => {
      spawnSync('sync');
      await sql('postgres', 'CHECKPOINT');
      await sql('postgres', 'CHECKPOINT', own);
    };
    for (let r = 0; r < rounds; r++) {
      const rawFirst = r % 2 === 0;
      const steps = {
        rawDump: async () => {
          rmSync(scratch, { force: true });
          await settle();
          rawDump.push(timed('pg_dump', ['-Fc', '-f', scratch, ...pgArgs(SHARED), 'shipsec_dev_1']));
        },
        snap: async () => { await settle(); snap.push(await dev('1', 'snapshot', `big-${r}`)); },
        rawRestore: async () => {
          await settle();
          const t0 = performance.now();
          await sql('postgres', 'DROP DATABASE IF EXISTS bench_raw WITH (FORCE)', own);
          await sql('postgres', 'CREATE DATABASE bench_raw TEMPLATE template0', own);
          timed('pg_restore', ['--exit-on-error', '--no-owner', ...pgArgs(own), '-d', 'bench_raw', scratch]);
          rawRestore.push(performance.now() - t0);
        },
        restore: async () => {
          await settle();
          const done = await box.dev('2', 'restore', `big-${r}`, '--yes', '--no-backup');
          if (done.code !== 0) throw new Error(`restore failed: ${done.stderr}`);
          restore.push(done.ms);
          restorePhase.push(phase(done.stderr, 'restore: backed up', 'restore: side database filled'));
        },
      };
      // The raw dump is the file the raw restore reads; the snapshot the one restore reads.
      for (const step of rawFirst ? [steps.rawDump, steps.snap, steps.rawRestore, steps.restore] : [steps.snap, steps.rawDump, steps.restore, steps.rawRestore]) await step();
    }
    await sql('postgres', 'DROP DATABASE IF EXISTS bench_raw WITH (FORCE)', own);
    const dumpRestore = median(rawDump) + median(rawRestore);

    // Copies on one server, from the golden template the first clone builds.
    await settle();
    const firstClone = await dev('3', 'clone', '--from-snapshot', 'big-0', '--yes', '--no-backup');
    await settle();
    const afterBuild = await dev('4', 'clone', '--from-snapshot', 'big-0', '--yes', '--no-backup');
    const template = (await sql<{ datname: string }>('postgres', "SELECT datname FROM pg_database WHERE datname LIKE 'di\\_tpl\\_%'")).rows[0]?.datname;
    if (!template) throw new Error('no golden template after clone --from-snapshot');
    const nextClones: number[] = [];
    const fileCopy: number[] = [];
    const walLog: number[] = [];
    for (let r = 0; r < 3; r++) {
      await settle();
      nextClones.push(await dev(r % 2 ? '4' : '3', 'clone', '--from-snapshot', 'big-0', '--yes', '--no-backup'));
      for (const [strategy, into] of [['FILE_COPY', fileCopy], ['WAL_LOG', walLog]] as const) {
        await sql('postgres', 'DROP DATABASE IF EXISTS bench_copy');
        await settle();
        into.push((await sql('postgres', `CREATE DATABASE bench_copy TEMPLATE ${template} STRATEGY ${strategy}`)).ms);
      }
    }
    await sql('postgres', 'DROP DATABASE IF EXISTS bench_copy');
    await settle();
    const stoppedClone = await dev('3', 'clone', '1', '--yes', '--no-backup');

    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const x = (ms: number) => `${(ms / dumpRestore).toFixed(3)}`;
    printTable(`Copies of a ${mb.toFixed(0)} MB database (pg_database_size) on one Postgres server`,
      ['how', 'time', 'x dump+restore'], [
        [`pg_dump -Fc + pg_restore (raw, median of ${rounds} each)`, s(dumpRestore), '1.000'],
        ['CREATE DATABASE … STRATEGY FILE_COPY (median of 3)', s(median(fileCopy)), x(median(fileCopy))],
        ['CREATE DATABASE … STRATEGY WAL_LOG (median of 3)', s(median(walLog)), x(median(walLog))],
        ['just dev 3 clone --from-snapshot: builds the template', s(firstClone), x(firstClone)],
        ['just dev 4 clone --from-snapshot: first copy after the build', s(afterBuild), x(afterBuild)],
        ['just dev 3|4 clone --from-snapshot: next copies (median of 3)', s(median(nextClones)), x(median(nextClones))],
        ['just dev 3 clone 1: source stopped, server copy', s(stoppedClone), x(stoppedClone)],
      ]);
    const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(1)}`;
    printTable(`Throughput, MB of database per second (${mb.toFixed(0)} MB); median of ${rounds}`,
      ['operation', 'time', 'MB/s', 'x raw'], [
        ['pg_dump -Fc (raw)', s(median(rawDump)), rate(median(rawDump)), '1.00'],
        ['just dev 1 snapshot NAME', s(median(snap)), rate(median(snap)), (median(rawDump) / median(snap)).toFixed(2)],
        ['drop, create, pg_restore (raw, running server)', s(median(rawRestore)), rate(median(rawRestore)), '1.00'],
        ['just dev 2 restore NAME --no-backup (apps running)', s(median(restore)), rate(median(restore)), (median(rawRestore) / median(restore)).toFixed(2)],
        ['  its pg_restore phase', s(median(restorePhase)), rate(median(restorePhase)), (median(rawRestore) / median(restorePhase)).toFixed(2)],
      ]);
  } finally {
    box.dispose();
  }
}

/**
 * `npm run bench -- clone-new`: the comparison with `wt new` alone, on instance 1 filled to
 * targetMb, with the trace of the tool's median round (where its time goes).
 */
export async function cloneNewBench(repo: string, targetMb = 320, rounds = 5): Promise<void> {
  const box = sandbox(repo, 'di-bnew', { DEV_INSTANCES_TRACE: '1', DEV_INSTANCES_ENGINE: 'native' });
  try {
    await mustDev(box, '1', '--infra', 'shared');
    machine.password = box.machinePassword('postgres');
    const mb = (await fill('shipsec_dev_1', targetMb)) / MB;
    await mustDev(box, '1', 'stop');
    const fresh = await newInstanceFromData(box, rounds);
    printTable(`A new instance from instance 1's data (${mb.toFixed(0)} MB), median of ${rounds} interleaved (target: at most 1.0x wt new)`,
      ['how', 'time', 'x wt new'], [
        [`wt new BRANCH (@tokenbooks/wt ${WT_VERSION})`, `${(median(fresh.wt) / 1000).toFixed(2)} s`, '1.00'],
        ['just dev 5 clone 1 (5 never ran)', `${(median(fresh.ours) / 1000).toFixed(2)} s`, (median(fresh.ours) / median(fresh.wt)).toFixed(2)],
      ]);
    console.log(`rounds (ms): wt ${fresh.wt.map((x) => x.toFixed(0)).join(' ')}; ours ${fresh.ours.map((x) => x.toFixed(0)).join(' ')}`);
    const mid = fresh.ours.indexOf([...fresh.ours].sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? 0);
    console.log(`trace of the median round:\n${fresh.traces[mid] ?? ''}`);
    await mustDev(box, 'clean', 'all', '--yes', '--no-backup');
  } finally {
    box.dispose();
  }
}

