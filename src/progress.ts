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
