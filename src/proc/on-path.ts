/** Finding a program on PATH without running it. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** First executable named `name` on PATH, or undefined. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* keep looking */ }
  }
  return undefined;
}
