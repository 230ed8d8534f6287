/** `info N`: URLs and names of one instance, passwords masked, and the image of each compose service. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COMPOSE_BASE_FILE } from '../../engines/compose-files.js';
import { infoText } from '../messages.js';
import { type CommandContext, needTarget } from './context.js';

/** The images the base compose file names, by service (empty when it cannot be read). */
function baseImages(root: string): Record<string, string> {
  try {
    const doc = parse(readFileSync(join(root, COMPOSE_BASE_FILE), 'utf8')) as { services?: Record<string, { image?: string }> };
    return Object.fromEntries(Object.entries(doc.services ?? {}).flatMap(([svc, s]) => (s.image ? [[svc, s.image]] : [])));
  } catch {
    return {};
  }
}

export function run(ctx: CommandContext): void {
  ctx.out(infoText(needTarget(ctx).plan, baseImages(ctx.root)));
}
