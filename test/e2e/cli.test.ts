import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, symlinkSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as dotenvParse } from 'dotenv';
import { secretFile } from '../../src/secrets.js';
import { LAUNCHER, REPO, SHIPSEC, runCli, runJust, tempDir } from '../helpers/cli.js';

const PORTS_1 = [
  'FRONTEND=5273', 'BACKEND=3311', 'TEMPORAL_CLIENT=7333', 'TEMPORAL_UI=8181', 'POSTGRES=5533', 'MINIO_API=9100',
  'MINIO_CONSOLE=9101', 'REDIS=6479', 'LOKI=3200', 'REDPANDA=9192', 'REDPANDA_UI=8182',
].join('\n');

describe('manager commands', () => {
  it('ports N prints KEY=port lines in the seed order', () => {
    const r = runCli(['ports', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${PORTS_1}\n`);
    assert.equal(r.stderr, '');
  });

  it('ports output can be eval-ed by a shell script', () => {
    const r = spawnSync('bash', ['-c', `eval "$("${process.execPath}" "${LAUNCHER}" ports 2)"; echo "$BACKEND $POSTGRES $REDPANDA_UI"`], {
      encoding: 'utf8', cwd: SHIPSEC, env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1' },
    });
    assert.equal(r.stdout, '3411 5633 8282\n');
  });

  it('ports --json carries the same keys and numbers', () => {
    const r = runCli(['ports', '1', '--json']);
    assert.equal(r.code, 0);
    const lines = Object.entries(JSON.parse(r.stdout) as Record<string, number>).map(([k, v]) => `${k}=${v}`);
    assert.equal(lines.join('\n'), PORTS_1);
  });

  it('project-name N prints the compose project', () => {
    assert.equal(runCli(['project-name', '5']).stdout, 'shipsec-dev-5\n');
    assert.equal(runCli(['project-name', '0']).stdout, 'shipsec-dev-0\n');
  });

  it('without N, the active instance comes from SHIPSEC_INSTANCE', () => {
    assert.equal(runCli(['project-name'], { SHIPSEC_INSTANCE: '3' }).stdout, 'shipsec-dev-3\n');
    assert.equal(runCli(['project-name']).stdout, 'shipsec-dev-0\n');
  });

  it('info shows URLs and names and masks the database password', () => {
    const r = runCli(['info', '2']);
    assert.equal(r.code, 0);
    for (const want of ['http://localhost:5373', 'http://localhost:3411', 'shipsec-dev-2', 'shipsec_dev_2', "'shipsec-dev-2:'", 'shipsec-worker-2']) {
      assert.ok(r.stdout.includes(want), `info lacks ${want}`);
    }
    assert.ok(r.stdout.includes('postgresql://shipsec:****@localhost:5633/shipsec_dev_2'));
    assert.ok(!r.stdout.includes(`shipsec:${readFileSync(secretFile('postgres'), 'utf8').trim()}@`), 'password shown');
  });

  it('help ACTION and ACTION --help: its usage, each flag with what it does, an example; --version; both outside any project too', () => {
    const help = runCli(['help', 'clone']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: just dev clone M \[N\] \[--from N\]/);
    assert.match(help.stdout, /^ {2}--from-snapshot NAME {2}the snapshot to copy$/m);
    assert.match(help.stdout, /^Example:\n {2}just dev 3 clone 1 --yes$/m);
    assert.equal(runCli(['clone', '--help']).stdout, help.stdout);
    const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
    const outside = { DEV_INSTANCES_ROOT: '', DEV_INSTANCES_CONFIG: join(REPO, 'no-such-declaration.mjs') };
    assert.equal(runCli(['--version'], outside).stdout, `${version}\n`);
    assert.equal(runCli(['help', 'clone'], outside).stdout, help.stdout);
    const bad = runCli(['help', 'frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^dev-instances: unknown action 'frobnicate' \(actions: start, stop/);
  });

  it('completions bash: a TAB after dev-instances offers the actions that fit, and the apps of the project here', () => {
    const bin = tempDir('di-compl-');
    try {
      symlinkSync(join(REPO, 'bin', 'dev.mjs'), join(bin.path, 'dev-instances'));
      const script = runCli(['completions', 'bash']).stdout;
      const complete = (word: string) => spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(dev-instances ${word}); COMP_CWORD=1; _dev_instances; echo "\${COMPREPLY[*]}"`], {
        encoding: 'utf8', cwd: SHIPSEC, env: { ...process.env, PATH: `${bin.path}:${process.env.PATH}`, DEV_INSTANCES_NO_REBUILD: '1' },
      }).stdout.trim().split(' ').sort();
      assert.deepEqual(complete('st'), ['start', 'status', 'stop']);
      assert.deepEqual(complete('back'), ['backend', 'backups']);
      assert.equal(runCli(['completions', 'tcsh']).code, 2);
    } finally { bin.cleanup(); }
  });

  it('--help prints the usage with every action', () => {
    const r = runJust(['dev', '--help']);
    assert.equal(r.code, 0);
    for (const action of ['start', 'stop', 'restart', 'status', 'logs', 'clean', 'render', 'info', 'ports', 'project-name']) {
      assert.match(r.stdout, new RegExp(`^  ${action} `, 'm'));
    }
  });

  it('the example\'s ecosystem.config.cjs gives PM2 the apps of SHIPSEC_INSTANCE', () => {
    const root = tempDir();
    const r = spawnSync(process.execPath, ['-e',
      `const e = require(${JSON.stringify(join(SHIPSEC, 'ecosystem.config.cjs'))}); console.log(e.apps.map((a) => a.name + ' ' + a.namespace + ' ' + a.env.PORT).join('\\n'))`],
    { encoding: 'utf8', env: { ...process.env, SHIPSEC_INSTANCE: '4', DEV_INSTANCES_ROOT: root.path, DEV_INSTANCES_NO_REBUILD: '1' } });
    root.cleanup();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'shipsec-frontend-4 shipsec-dev-4 5573\nshipsec-backend-4 shipsec-dev-4 3611\nshipsec-worker-4 shipsec-dev-4 undefined\n');
  });

  it('the real just binary runs the same commands through the dev recipe', () => {
    const r = runJust(['dev', '1', 'ports']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${PORTS_1}\n`);
    assert.equal(runJust(['dev', 'project-name', '2']).stdout, 'shipsec-dev-2\n');
  });
});

describe('info shows the image of every compose service and where it comes from', () => {
  it('the base file, or the override variable', () => {
    const r = runCli(['info', '1'], { DEV_INSTANCES_IMAGE_POSTGRES: 'dev-instances/postgres:local' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ +postgres +dev-instances\/postgres:local +\(DEV_INSTANCES_IMAGE_POSTGRES\)$/m);
    assert.match(r.stdout, /^ +redis +redis:7-alpine +\(base file\)$/m);
  });
});

describe('bad input: exit 2, one line naming the value and the range, nothing written', () => {
  const root = tempDir();
  after(root.cleanup);
  const bad = (args: string[], want: RegExp, env: NodeJS.ProcessEnv = {}) => {
    const r = runCli(args, { DEV_INSTANCES_ROOT: root.path, ...env });
    assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.split('\n')[0] ?? '', want);
    assert.ok(!existsSync(join(root.path, '.instances')), 'something was written');
    return r;
  };

  for (const value of ['-1', 'abc', '1.5', '99999', '', '18', '01', '1e3', ' 1']) {
    for (const action of ['render', 'ports']) {
      it(`${action} ${JSON.stringify(value)}`, () => {
        const r = bad([action, value], new RegExp(`invalid instance '${value.replace('.', '\\.')}': expected an integer from 0 to 17`));
        assert.equal(r.stderr.trimEnd().split('\n').length, 1);
      });
    }
  }
  it('a word where an instance or action belongs', () => { bad(['abc'], /'abc' is neither an action nor an instance number: expected an integer from 0 to 17/); });
  it('an unknown action, with the usage that --help gives (the declaration\'s range and variable)', () => {
    const r = bad(['1', 'frobnicate'], /unknown action 'frobnicate'/);
    assert.match(r.stderr.replace(/\s+/g, " "), /N is an instance number from 0 to 17\. Without N: SHIPSEC_INSTANCE when set, else the number this checkout/);
    assert.ok(r.stderr.includes(runCli(['--help']).stdout.trim()), 'the usage after the error is the --help text');
  });
  it('an unknown flag', () => { bad(['ports', '1', '--jsn'], /unknown flag '--jsn' for ports \(allowed: --json\)/); });
  it('an unknown flag with no instance number: refused before a number is leased to the checkout', () => {
    const state = tempDir('di-state-bad-');
    try {
      bad(['--bogus'], /unknown flag '--bogus' for start/, { DEV_INSTANCES_STATE_DIR: state.path });
      assert.deepEqual(readdirSync(state.path), [], 'no lease written');
    } finally { state.cleanup(); }
  });
  it('a source instance with leading zeros (clone 1 08) is refused, as every instance number is', () => {
    bad(['1', 'clone', '08', '--yes'], /invalid source instance '08': expected a number, as in just dev 1 clone 1/);
    bad(['1', 'clone', '0002', '--yes'], /invalid source instance '0002': expected a number, as in just dev 1 clone 1/);
  });
  it('an extra argument', () => { bad(['ports', '1', '2'], /unexpected argument '2'/); });
  it("'all' for a one-instance action", () => { bad(['render', 'all'], /render works on one instance/); });
  it('a bad SHIPSEC_INSTANCE', () => { bad(['render'], /invalid SHIPSEC_INSTANCE value 'x': expected an integer from 0 to 17/, { SHIPSEC_INSTANCE: 'x' }); });
  it('a DEV_INSTANCES_PROXY_BIND that is not an IP address (it would reach nginx\'s listen line)', () => {
    bad(['render', '1'], /^dev-instances: invalid DEV_INSTANCES_PROXY_BIND '0\.0\.0\.0; include \/etc\/passwd': expected an IP address of this machine/, { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_BIND: '0.0.0.0; include /etc/passwd' });
  });
  it('a DEV_INSTANCES_PROXY_HTTPS that is not auto, on or off, and an HTTPS port out of range', () => {
    bad(['render', '1'], /^dev-instances: invalid DEV_INSTANCES_PROXY_HTTPS 'yes please': expected one of auto, on, off$/m, { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_HTTPS: 'yes please' });
    bad(['render', '1'], /^dev-instances: invalid DEV_INSTANCES_PROXY_HTTPS_PORT '70000': expected a port from 1 to 65535$/m, { DEV_INSTANCES_PROXY: '', DEV_INSTANCES_PROXY_HTTPS_PORT: '70000' });
  });
  it('a relative DEV_INSTANCES_RUNTIME_DIR (the native Postgres data would follow the working directory)', () => {
    bad(['render', '1'], /^dev-instances: invalid DEV_INSTANCES_RUNTIME_DIR 'var\/di': expected an absolute path/, { DEV_INSTANCES_RUNTIME_DIR: 'var/di' });
  });
  it('a relative DEV_INSTANCES_STATE_DIR (one lease registry per working directory)', () => {
    bad(['ports'], /^dev-instances: invalid DEV_INSTANCES_STATE_DIR 'rel\/state': expected an absolute path/, { DEV_INSTANCES_STATE_DIR: 'rel/state' });
  });
  it('shell metacharacters are never run', () => {
    const marker = join(root.path, 'pwned');
    const r = runJust(['dev', `1;touch ${marker}`, 'render'], { DEV_INSTANCES_ROOT: root.path });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid instance '1;touch /);
    assert.ok(!existsSync(marker));
  });

  it('a bad declaration names the key and the problem', () => {
    const mod = join(root.path, 'bad-stack.mjs');
    writeFileSync(mod, `import stack from ${JSON.stringify(join(REPO, 'dist', 'examples', 'shipsec', 'dev-instances.config.js'))};\n`
      + 'export default { ...stack, services: { ...stack.services, loki: { ...stack.services.loki, basePort: 9000 } } };\n');
    bad(['render', '1'], /^dev-instances: .*bad-stack\.mjs: services\.loki\.basePort: 9000 is already the base port of services\.minio-api$/, { DEV_INSTANCES_CONFIG: mod });
  });
});

describe('render N', () => {
  const root = tempDir();
  after(root.cleanup);
  const env = { DEV_INSTANCES_ROOT: root.path };
  const dir = join(root.path, '.instances', 'instance-2');
  const source = join(root.path, 'apps', 'backend', '.env.example');
  mkdirSync(join(root.path, 'apps', 'backend'), { recursive: true });
  cpSync(join(SHIPSEC, 'docker'), join(root.path, 'docker'), { recursive: true }); // the project's compose file
  writeFileSync(source, '# keep me\nPORT=3211\nMINIO_URL=http://localhost:9000\nOTHER=http://localhost:90001\nCUSTOM="x y"\n');

  it('writes the env files, compose override and PM2 app list, private to the user', () => {
    const r = runCli(['render', '2'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['backend.env', 'docker-compose.override.yml', 'ecosystem.json', 'frontend.env', 'worker.env']);
    for (const f of ['backend.env', 'worker.env', 'frontend.env', 'ecosystem.json']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    const backend = dotenvParse(readFileSync(join(dir, 'backend.env')));
    assert.equal(backend.PORT, '3411');
    assert.equal(backend.MINIO_URL, 'http://localhost:9200');
    assert.equal(backend.OTHER, 'http://localhost:90001');
    assert.equal(backend.CUSTOM, 'x y');
    // Never started: planned for the native engine, whose Postgres asks for the machine's password.
    assert.equal(backend.DATABASE_URL, `postgresql://shipsec:${readFileSync(secretFile('postgres'), 'utf8').trim()}@localhost:5633/shipsec_dev_2`);
    assert.match(readFileSync(join(dir, 'backend.env'), 'utf8'), /^# keep me$/m);
  });

  it('the PM2 app list names every app after the instance and injects its whole environment', () => {
    const { apps } = JSON.parse(readFileSync(join(dir, 'ecosystem.json'), 'utf8')) as { apps: { name: string; namespace: string; env: Record<string, string>; max_restarts: number }[] };
    assert.deepEqual(apps.map((a) => a.name), ['shipsec-frontend-2', 'shipsec-backend-2', 'shipsec-worker-2']);
    assert.ok(apps.every((a) => a.namespace === 'shipsec-dev-2' && a.max_restarts > 0));
    assert.equal(apps[1]?.env.MINIO_URL, 'http://localhost:9200');
    assert.equal(apps[2]?.env.TEMPORAL_TASK_QUEUE, 'shipsec-dev-2');
  });

  it('regenerates: source edits reach the instance, the local override survives and wins, modes are reset', () => {
    writeFileSync(source, 'PORT=3211\nNEW_KEY=added-later\nFEATURE=off\n');
    writeFileSync(join(dir, 'backend.local.env'), 'FEATURE=on\n');
    chmodSync(join(dir, 'backend.env'), 0o644);
    assert.equal(runCli(['render', '2'], env).code, 0);
    const backend = dotenvParse(readFileSync(join(dir, 'backend.env')));
    assert.equal(backend.NEW_KEY, 'added-later');
    assert.equal(backend.FEATURE, 'on');
    assert.equal(readFileSync(join(dir, 'backend.local.env'), 'utf8'), 'FEATURE=on\n');
    assert.equal(statSync(join(dir, 'backend.env')).mode & 0o777, 0o600);
    assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')), 'temporary files left behind');
  });

  it('generated files are ignored by git', () => {
    const r = spawnSync('git', ['-C', REPO, 'check-ignore', '--no-index', '.instances/instance-2/backend.env', '.instances/backups/instance-2/x.dump'], { encoding: 'utf8' });
    assert.equal(r.stdout.trim().split('\n').length, 2, r.stdout + r.stderr);
  });

  it('touches no other instance', () => {
    assert.equal(runCli(['render', '3'], env).code, 0);
    assert.deepEqual(readdirSync(join(root.path, '.instances')).sort(), ['instance-2', 'instance-3']);
    assert.equal(dotenvParse(readFileSync(join(dir, 'backend.env'))).PORT, '3411');
  });
});

describe("init beside a justfile with a dev recipe of the project's own", () => {
  it('leaves the recipe alone, says so on every run, and never offers just dev', () => {
    const dir = tempDir('di-init-');
    try {
      const justfile = 'dev:\n\techo the project\'s own\n';
      writeFileSync(join(dir.path, 'justfile'), justfile);
      writeFileSync(join(dir.path, 'compose.yml'), 'services:\n  db:\n    image: postgres:16\n    ports: ["6432:5432"]\n');
      const init = () => spawnSync(process.execPath, [LAUNCHER, 'init'], { cwd: dir.path, encoding: 'utf8', env: { ...process.env, DEV_INSTANCES_NO_REBUILD: '1' } });
      const first = init();
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /wrote dev-instances\.config\.ts, \.gitignore\.$/m);
      assert.match(first.stdout, /^Next: npx dev-instances 1$/m);
      assert.match(first.stderr, /justfile has a recipe named dev of its own: left alone, so `just dev` is not this tool's there; use npx dev-instances N/);
      assert.equal(readFileSync(join(dir.path, 'justfile'), 'utf8'), justfile);
      const again = init();
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /^nothing to change: the declaration and the \.gitignore line are all there$/m);
      assert.match(again.stderr, /recipe named dev of its own/);
    } finally {
      dir.cleanup();
    }
  });
});
