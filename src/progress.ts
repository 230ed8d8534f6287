/**
 * Where long steps say what they still wait for, every few seconds (the CLI: a note on stderr); none
 * when nobody listens (tests calling the lifecycle in-process). No imports: every command loads it.
 */
let sink: { say: (line: string) => void; everyMs: number } | undefined;

/** Listen (everyMs: how often a long wait speaks; 5 s unless a test asks for less), or stop listening. */
export function onLongWaits(say: ((line: string) => void) | undefined, everyMs = 5_000): void {
  sink = say && { say, everyMs };
}

export const progressSink = () => sink;

/**
 * Say every few seconds that a long step is still under way, while `work` runs: `still <doing> (N s)`,
 * or `(N s; <detail>)` when the step can say how far it is. Nothing when nobody listens, or when the
 * step ends before the first interval.
 */
export async function sayingWhile<T>(doing: string, work: Promise<T>, detail: () => string | undefined = () => undefined): Promise<T> {
  const listener = sink;
  if (!listener) return work;
  const began = Date.now();
  const timer = setInterval(() => {
    const more = detail();
    listener.say(`still ${doing} (${Math.round((Date.now() - began) / 1000)} s${more ? `; ${more}` : ''})`);
  }, listener.everyMs);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
