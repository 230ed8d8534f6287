/**
 * The images a compose set runs, and whether this machine has them. A service whose image is
 * neither here nor pullable cannot run: a required one (Postgres, Redis) stops the start before
 * anything runs; an optional one is left out, with every service that depends on it, and the apps
 * are told (DEV_INSTANCES_UNAVAILABLE), exactly as the native engine treats a missing binary.
 */
import type { StackDeclaration } from '../../config/types.js';
import { imageEnvVar } from '../../plan/names.js';
import { type InfraScope } from '../../plan/plan.js';
import { onHost, placementLabel } from '../../plan/views.js';
import { interrupted } from '../../proc/interrupt.js';
import { run, runPiped } from '../../proc/run.js';
import { sayingWhile } from '../../progress.js';
import { formatBytes } from '../../text/bytes.js';
import { trace } from '../../trace.js';
import { type BaseService, mergedServices, withDependencies } from './compose-files.js';
import { readComposeSources } from './compose-read.js';
import { HOST_DEADLINE_MS, dockerEnv, engineKey, unreachable } from './placement.js';
import { type PullProgress, pullThroughApi } from './pull.js';
import { kindOfService } from '../probes.js';
import type { EngineTarget, Inspection } from '../types.js';

/** The image each of these services runs: the set's override, else the base file's. Pure. */
export function imagesOf(t: EngineTarget, services: readonly string[], base: Record<string, BaseService>): Map<string, string> {
  return new Map(services.flatMap((svc) => {
    const image = t.scope.images[svc]?.image ?? base[svc]?.image;
    return image ? [[svc, image] as const] : [];
  }));
}

const REQUIRED_KINDS = new Set(['postgres', 'redis']);

function kindOfComposeService(decl: StackDeclaration, svc: string) {
  const id = Object.keys(decl.services).find((k) => decl.services[k]?.container?.service === svc);
  return id === undefined ? undefined : kindOfService(decl, id);
}

/** The name apps and messages know a compose service by: its infrastructure kind, else itself. */
export const nameOfService = (decl: StackDeclaration, svc: string): string => kindOfComposeService(decl, svc) ?? svc;

const isRequired = (decl: StackDeclaration, svc: string): boolean => REQUIRED_KINDS.has(kindOfComposeService(decl, svc) ?? '');

/**
 * Which of the set's services cannot run for want of an image (`absent`: image -> why), directly or
 * through a dependency; split into the required (missing) and the optional (unavailable). Pure.
 */
export function judgeImages(t: EngineTarget, base: Record<string, BaseService>, absent: ReadonlyMap<string, string>): Inspection {
  const started = withDependencies(t.scope.services, base);
  const images = imagesOf(t, started, base);
  const why = new Map<string, string>();
  const reason = (svc: string): string | undefined => {
    if (why.has(svc)) return why.get(svc);
    const image = images.get(svc);
    if (image !== undefined && absent.has(image)) {
      why.set(svc, `${absent.get(image)}; set ${imageEnvVar(svc)} (or images.${svc} in the stack declaration) to an image this machine has`);
    } else {
      why.set(svc, ''); // no cycle can recurse forever
      const dep = (base[svc]?.dependsOn ?? []).find((d) => reason(d));
      why.set(svc, dep === undefined ? '' : `needs ${dep}, whose image is not available`);
    }
    return why.get(svc) || undefined;
  };
  const out: Inspection = { missing: [], unavailable: [] };
  for (const svc of t.scope.services) {
    const detail = reason(svc);
    if (!detail) continue;
    const name = nameOfService(t.decl, svc);
    if (isRequired(t.decl, svc)) out.missing.push({ service: name, detail });
    else out.unavailable.push({ service: name, detail: `not available on the docker engine: ${detail}` });
  }
  return out;
}

type On = Pick<InfraScope, 'placement'>;
const HERE: On = {};

/**
 * Is the image on the set's engine (this machine's by default)? A placed host that does not answer
 * in time is an EngineUnreachableError, not an absent image (whose pull would wait for it again).
 */
export async function imagePresent(image: string, on: InfraScope | On = HERE): Promise<boolean> {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { env: dockerEnv(on), reject: false, timeoutMs: on.placement ? HOST_DEADLINE_MS : 30_000 });
  if (r.code !== 0 && 'composeProject' in on) {
    const down = unreachable(on, r);
    if (down) throw down;
  }
  return r.code === 0;
}

const lastLine = (r: { stderr: string; code: number }, what: string) =>
  r.stderr.trim().split('\n').pop()?.replace(/^Error response from daemon: /, '') || `${what} exited with ${r.code}`;

const PULL_DEADLINE_MS = 1_800_000;

/**
 * Pull the image on the set's engine, saying every few seconds how many bytes have come; undefined
 * when it arrived, else why not in one line. The Engine API pulls; `docker pull` takes over where
 * only the CLI can (credentials), its progress then in seconds alone.
 */
export async function pullImage(image: string, on: On = HERE): Promise<string | undefined> {
  let bytes: PullProgress = { done: 0, total: 0 };
  const detail = () => (bytes.total > 0 ? `${formatBytes(bytes.done)} of ${formatBytes(bytes.total)}` : undefined);
  return sayingWhile(`pulling ${image}${onHost(on.placement)}`, (async () => {
    const api = await pullThroughApi(image, dockerEnv(on), (p) => { bytes = p; }, PULL_DEADLINE_MS);
    if (api.ok) return undefined;
    trace(`docker: the Engine API's pull of ${image} failed (${api.why})${api.retryWithCli ? '; docker pull tries' : ''}`);
    if (!api.retryWithCli || interrupted()) return api.why; // an interrupted pull is not started again
    bytes = { done: 0, total: 0 };
    const r = await run('docker', ['pull', '--quiet', image], { env: dockerEnv(on), reject: false, timeoutMs: PULL_DEADLINE_MS });
    return r.code === 0 ? undefined : lastLine(r, 'docker pull');
  })(), detail);
}

/**
 * A placed host without the image and without a registry that has it gets this machine's copy:
 * `docker save | docker load` through its endpoint, streamed. undefined when it arrived.
 */
async function copyToHost(image: string, on: InfraScope): Promise<string | undefined> {
  if (!(await imagePresent(image))) return 'not on this machine either, to copy there';
  trace(`docker: copying ${image} to${onHost(on.placement)} (docker save | docker load)`);
  const r = await runPiped({ cmd: 'docker', args: ['save', image] }, { cmd: 'docker', args: ['load', '--quiet'], env: dockerEnv(on) }, { timeoutMs: 1_800_000 });
  return r.code === 0 ? undefined : `copying it from this machine failed: ${lastLine(r, 'docker save | docker load')}`;
}

/**
 * What the set cannot run for want of images. fetch: pull what is absent (a start); without it,
 * absent images are only listed (a dry run, which pulls nothing) and judged by nobody.
 */
export async function inspectImages(t: EngineTarget, opts: { fetch: boolean }): Promise<Inspection & { absent: string[]; base: Record<string, BaseService> }> {
  const base = mergedServices(await readComposeSources(t.root, t.decl));
  const images = [...new Set(imagesOf(t, withDependencies(t.scope.services, base), base).values())];
  if (!opts.fetch) {
    const here = await Promise.all(images.map((image) => imagePresent(image, t.scope)));
    return { missing: [], unavailable: [], absent: images.filter((_, i) => !here[i]), base };
  }
  const why = await Promise.all(images.map((image) => obtain(image, t.scope)));
  const cannot = t.scope.placement ? `not on the Docker host ${placementLabel(t.scope.placement)} and can be neither pulled there nor copied from here` : 'not on this machine and cannot be pulled';
  const failed = new Map(images.flatMap((image, i) => (why[i] === undefined ? [] : [[image, `image ${image} is ${cannot} (${why[i]})`] as const])));
  return { ...judgeImages(t, base, failed), absent: [...failed.keys()], base };
}

// Asked once per image and engine per command: engine selection, the start's inspection and `up` share the answer.
const obtained = new Map<string, Promise<string | undefined>>();

/** Ask afresh from now on (a process that runs several commands, like the tests, between them). */
export const forgetObtainedImages = (): void => obtained.clear();

/** undefined when the image is on the set's engine, or was pulled (or, on a placed host, copied) now; else why it cannot be had. */
function obtain(image: string, on: InfraScope): Promise<string | undefined> {
  const key = `${engineKey(on)}\0${image}`;
  let known = obtained.get(key);
  if (!known) {
    known = (async () => {
      if (await imagePresent(image, on)) return undefined;
      const pulled = await pullImage(image, on);
      if (pulled === undefined || !on.placement) return pulled;
      const copied = await copyToHost(image, on);
      return copied && `pull: ${pulled}; ${copied}`;
    })();
    obtained.set(key, known);
    known.catch(() => obtained.delete(key)); // a host that did not answer is asked again next time
  }
  return known;
}
