/**
 * A real Docker engine for the docker tests: is one answering, the locally built images
 * (test/images/build.sh), the test declaration, real clients (psql, redis-cli, docker) and a clean-up
 * of every compose project the tests made. In CI a missing engine fails the tests; elsewhere they
 * are skipped and the reason is said in one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';

/** The test declaration's project: its compose projects are `ditest-dev-N` and `ditest-infra`. */
export const TEST_PROJECT = 'ditest';
export const TEST_CONFIG = join(REPO, 'dist', 'test', 'fixtures', 'docker-stack.config.js');
const PIDFILE = process.env.DEV_INSTANCES_DOCKERD_PIDFILE ?? '/run/dev-instances-dockerd.pid';

export interface Sh {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Sh {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

export const docker = (...args: string[]): Sh => sh('docker', args);

/** docker against another engine (DOCKER_HOST=endpoint); this machine's when endpoint is undefined. */
export const dockerOn = (endpoint: string | undefined, ...args: string[]): Sh => sh('docker', args, endpoint ? { DOCKER_HOST: endpoint } : {});

export interface DockerForTests {
  /** Why the docker tests cannot run here; undefined when they can. */
  reason?: string;
  /** DEV_INSTANCES_IMAGE_* for the local images. */
  images: Record<string, string>;
}

/** An engine that answers and the test images (built now when absent: about a minute). */
export function dockerForTests(): DockerForTests {
  const v = docker('version', '--format', '{{.Server.Version}}');
  if (v.code !== 0) {
    const why = v.code === null || /ENOENT/.test(v.stderr) ? 'the docker client is not installed' : 'no Docker engine answers';
    return { reason: `${why} (apt-get install -y docker.io docker-compose debootstrap; bash test/images/dockerd.sh start)`, images: {} };
  }
  const built = sh('bash', [join(REPO, 'test', 'images', 'build.sh')], {}, 900_000);
  if (built.code !== 0) return { reason: `the test images could not be built: ${built.stderr.trim().split('\n').pop() ?? ''}`, images: {} };
  const images = Object.fromEntries(built.stdout.trim().split('\n').filter((l) => l.includes('=')).map((l) => l.split('=', 2) as [string, string]));
  return { images };
}

/**
 * node:test's skip option: the reason outside CI (said once on stderr), never in CI, where a missing
 * engine must fail (the suite's before() asserts it).
 */
export function skipUnlessDocker(setup: DockerForTests, what: string): string | false {
  if (!setup.reason || process.env.CI) return false;
  process.stderr.write(`${what}: skipped: ${setup.reason}\n`);
  return setup.reason;
}

/** Compose projects of the test declaration with a container or a volume on the engine. */
function testProjects(): string[] {
  const label = '{{.Label "com.docker.compose.project"}}';
  const names = [
    ...docker('ps', '--all', '--filter', 'label=com.docker.compose.project', '--format', label).stdout.split('\n'),
    ...docker('volume', 'ls', '--filter', 'label=com.docker.compose.project', '--format', label).stdout.split('\n'),
    ...docker('network', 'ls', '--filter', 'label=com.docker.compose.project', '--format', label).stdout.split('\n'),
  ];
  return [...new Set(names.filter((n) => n.startsWith(`${TEST_PROJECT}-`)))];
}

/** Remove every container, volume and network of the test declaration's projects; what was left. */
export function removeTestProjects(): string[] {
  const left = testProjects();
  for (const project of left) {
    const filter = `label=com.docker.compose.project=${project}`;
    const ids = (kind: string[]) => docker(...kind, '--filter', filter, '--quiet').stdout.split('\n').filter(Boolean);
    const containers = ids(['ps', '--all']);
    if (containers.length) docker('rm', '--force', '--volumes', ...containers);
    const volumes = ids(['volume', 'ls']);
    if (volumes.length) docker('volume', 'rm', '--force', ...volumes);
    const networks = ids(['network', 'ls']);
    if (networks.length) docker('network', 'rm', ...networks);
  }
  return left;
}

/** The containers of one project: service -> { name, state, ports }. */
export function containers(project: string, endpoint?: string): Map<string, { name: string; state: string; status: string; ports: string; id: string }> {
  const r = dockerOn(endpoint, 'ps', '--all', '--filter', `label=com.docker.compose.project=${project}`, '--format',
    '{{.Label "com.docker.compose.service"}}\t{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Ports}}\t{{.ID}}');
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => {
    const [service = '', name = '', state = '', status = '', ports = '', id = ''] = l.split('\t');
    return [service, { name, state, status, ports, id }];
  }));
}

export const volumes = (project: string, endpoint?: string): string[] =>
  dockerOn(endpoint, 'volume', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Name}}').stdout.split('\n').filter(Boolean).sort();

export const networks = (project: string): string[] =>
  docker('network', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Name}}').stdout.split('\n').filter(Boolean).sort();

/** psql, the real client, as the declaration's user; one value per row. */
export function psql(port: number, database: string, query: string, host = '127.0.0.1'): Sh {
  return sh('psql', ['-h', host, '-p', String(port), '-U', 'shipsec', '-d', database, '-Atc', query], { PGPASSWORD: 'shipsec', PGCONNECT_TIMEOUT: '5' });
}

export const redisCli = (port: number, ...args: string[]): Sh => redisCliAt('127.0.0.1', port, ...args);
export const redisCliAt = (host: string, port: number, ...args: string[]): Sh => sh('redis-cli', ['-h', host, '-p', String(port), ...args]);

/** Is the running dockerd the one test/images/dockerd.sh started (so a test may stop and restart it)? */
export function dockerdIsOurs(): boolean {
  if (!existsSync(PIDFILE)) return false;
  const pid = Number(readFileSync(PIDFILE, 'utf8').trim());
  try { process.kill(pid, 0); return true; } catch { return false; }
}

export const dockerd = (action: 'start' | 'stop'): Sh => sh('bash', [join(REPO, 'test', 'images', 'dockerd.sh'), action], {}, 60_000);

/** A "remote" Docker engine of test/images/remote-host.sh (host 1 or 2): its own network namespace and address. */
export const remoteHost = (action: 'start' | 'stop' | 'down' | 'up' | 'mute' | 'unmute' | 'address', host: 1 | 2 = 1): Sh =>
  sh('bash', [join(REPO, 'test', 'images', 'remote-host.sh'), action, String(host)], {}, 120_000);
