/**
 * An image pull that can say how far it has come. The Docker Engine API's pull (`POST /images/create`)
 * streams one JSON message per layer event, with the bytes downloaded of each layer; `docker pull`
 * prints none of that when its output is not a terminal. The API is reached through `docker system
 * dial-stdio`, so DOCKER_HOST, contexts and ssh:// hosts reach the same engine as every other docker
 * call. What the API path cannot serve (a registry that wants credentials only the docker CLI knows,
 * a client without dial-stdio) is pulled by `docker pull`, and its progress is counted in seconds.
 */
import { request } from 'node:http';
import { converse } from '../../proc/run.js';

/** Bytes so far over the layers whose size is known. */
export interface PullProgress {
  done: number;
  total: number;
}

interface PullMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  message?: string;
  errorDetail?: { message?: string };
}

/**
 * The running count of a pull's layers, from its messages. A layer counts once its size is known
 * (its first "Downloading"); "Download complete", "Pull complete" and "Already exists" finish it. Pure.
 */
export class LayerTally {
  private readonly layers = new Map<string, { current: number; total: number }>();

  take(m: PullMessage): void {
    if (!m.id) return;
    const layer = this.layers.get(m.id);
    const detail = m.progressDetail ?? {};
    if (m.status === 'Downloading' && detail.total !== undefined && detail.total > 0) {
      this.layers.set(m.id, { current: detail.current ?? 0, total: detail.total });
    } else if (layer && /^(Download complete|Verifying Checksum|Extracting|Pull complete)$/.test(m.status ?? '')) {
      layer.current = layer.total;
    }
  }

  get progress(): PullProgress {
    let done = 0;
    let total = 0;
    for (const l of this.layers.values()) { done += Math.min(l.current, l.total); total += l.total; }
    return { done, total };
  }
}

/** The API's query for a reference: a reference with no tag or digest means :latest (an empty tag would pull every tag). Pure. */
export function pullQuery(image: string): string {
  const name = image.slice(image.lastIndexOf('/') + 1);
  const q = new URLSearchParams({ fromImage: image });
  if (!name.includes(':') && !name.includes('@')) q.set('tag', 'latest');
  return q.toString();
}

/** Messages that mean the registry wants credentials: the docker CLI has them, the API path does not. */
const NEEDS_CREDENTIALS = /unauthorized|authentication required|no basic auth credentials|denied|forbidden/i;

export type ApiPull =
  | { ok: true }
  | { ok: false; why: string; /** the docker CLI may still succeed (credentials, no dial-stdio) */ retryWithCli: boolean };

/**
 * Pull through the Engine API; onProgress hears the bytes after every message. The pull is cancelled
 * (the engine drops it) when the connection closes, which a timeout does.
 */
export function pullThroughApi(image: string, env: NodeJS.ProcessEnv, onProgress: (p: PullProgress) => void, timeoutMs: number): Promise<ApiPull> {
  return new Promise<ApiPull>((resolve) => {
    const dial = converse('docker', ['system', 'dial-stdio'], { env });
    let settled = false;
    const end = (r: ApiPull): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      dial.stop();
      resolve(r);
    };
    // Before the answer has ended: an old client without dial-stdio, or an engine it could not reach.
    void dial.ended.then(({ code, stderr }) => end({ ok: false, why: stderr.split('\n').pop() || `docker system dial-stdio exited with ${code}`, retryWithCli: true }));
    const timer = setTimeout(() => end({ ok: false, why: `did not finish within ${Math.round(timeoutMs / 1000)} s`, retryWithCli: false }), timeoutMs);
    const socket = dial.stream;
    const req = request({ method: 'POST', host: 'docker', path: `/images/create?${pullQuery(image)}`, createConnection: () => socket }, (res) => {
      const tally = new LayerTally();
      let buffered = '';
      let failure: string | undefined;
      // One JSON message per line; a refusal before the pull began (no such image) is one object, {"message": …}.
      const take = (line: string) => {
        let m: PullMessage;
        try { m = JSON.parse(line) as PullMessage; } catch { return; }
        if (m.error || m.message) failure = m.errorDetail?.message ?? m.error ?? m.message;
        tally.take(m);
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (buffered + chunk).split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(take);
        onProgress(tally.progress);
      });
      res.on('end', () => {
        take(buffered);
        const why = failure ?? (res.statusCode === 200 ? undefined : `the engine answered ${res.statusCode}`);
        end(why === undefined ? { ok: true } : { ok: false, why, retryWithCli: NEEDS_CREDENTIALS.test(why) });
      });
      res.on('error', (e) => end({ ok: false, why: e.message, retryWithCli: false }));
    });
    req.on('error', (e) => end({ ok: false, why: e.message, retryWithCli: true }));
    req.end();
  });
}
