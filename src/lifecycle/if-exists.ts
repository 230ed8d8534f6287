/** A seed (or a clone into a new instance) that finds the instance's database there already. Light: a start imports it. */
import { OperationalError } from '../errors.js';
import type { Report } from './events.js';

/**
 * When the database exists already, it is kept, and: 'quiet' (the declaration's seed, a default),
 * 'warn' (--seed: the user asked, so says how to replace it), 'refuse' (a clone: the copy was the
 * point, so the command fails and says how to replace it).
 */
export type IfExists = 'quiet' | 'warn' | 'refuse';

/** What an existing database means for a seed from `from` ('snapshot NAME', 'instance N'). */
export function existingDatabase(instance: number, database: string, seed: { name: string; ifExists: IfExists }, report: Report): void {
  if (seed.ifExists === 'warn') report({ kind: 'seed-skipped', instance, database, from: seed.name });
  if (seed.ifExists === 'refuse') {
    const [kind, name] = seed.name.split(' ');
    const replace = kind === 'instance' ? `clone ${name}` : `restore ${name}`;
    throw new OperationalError(`instance ${instance} has a database already (${database}): nothing of ${seed.name}'s data was applied`,
      `To replace its data: just dev ${instance} (it then counts as started), then just dev ${instance} ${replace} --yes (a backup is taken first).`);
  }
}
