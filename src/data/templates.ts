/**
 * Golden templates: on a Postgres server several instances share, a snapshot's dump is restored once
 * into a database nobody can connect to; every instance that takes the snapshot afterwards gets a
 * server-side copy of it (CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY) instead of a restore.
 * A template is named after the checkout, the snapshot and when it was taken, so a snapshot taken
 * again under the same name gets a new template and the old one is dropped. Nobody connects to a
 * template, so a copy never waits for, or disturbs, an instance.
 */
import { createHash } from 'node:crypto';
import {
  type PgServer, allowConnections, copyDatabase, createDatabase, databaseExists, databasesNamed, dropDatabase, renameDatabase, vacuumFreeze, withServerLock,
} from '../provision/postgres.js';
import { trace } from '../trace.js';

export const TEMPLATE_PREFIX = 'di_tpl_';

const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export interface TemplateOf {
  /** What the template holds, for its name: the checkout, the snapshot's name and when it was taken. */
  root: string;
  name: string;
  takenAt: string;
}

/** `di_tpl_<checkout and name>_<time taken>`: 32 bytes, within Postgres's 63. */
export function templateName(of: TemplateOf): { name: string; family: string } {
  const family = `${TEMPLATE_PREFIX}${h(`${of.root}\0${of.name}`)}_`;
  return { name: `${family}${h(of.takenAt)}`, family };
}

/**
 * Make `into` (absent) a copy of the template, building the template first when the server has none
 * (build fills an empty database). One holder at a time per template on the server (an advisory
 * lock per snapshot name), so instances seeded at once build it once. Returns whether this call built it.
 */
export async function copyFromTemplate(server: PgServer, of: TemplateOf, build: (db: string) => Promise<void>, into: string): Promise<boolean> {
  const { name, family } = templateName(of);
  return withServerLock(server, family, async () => {
    let built = false;
    if (!(await databaseExists(server, name))) {
      // Older takes of the same snapshot, and a half-built one an interrupted build left.
      for (const old of await databasesNamed(server, family)) await dropDatabase(server, old);
      const partial = `${name}_partial`;
      await createDatabase(server, partial);
      try {
        await build(partial);
        // Frozen and analysed once here, not in every copy: a database pg_restore just wrote has no
        // hint bits or statistics, and autovacuum would rewrite each copy's pages to set them.
        await vacuumFreeze(server, partial);
        await allowConnections(server, partial, false);
        await renameDatabase(server, partial, name);
      } catch (err) {
        await dropDatabase(server, partial).catch(() => {});
        throw err;
      }
      built = true;
    }
    trace('template: ready');
    await copyDatabase(server, name, into);
    trace('template: copied');
    return built;
  });
}

/** Drop every template of a snapshot name in this checkout (all its takes). Returns their names. */
export async function dropTemplates(server: PgServer, of: Omit<TemplateOf, 'takenAt'>): Promise<string[]> {
  const { family } = templateName({ ...of, takenAt: '' });
  return withServerLock(server, family, async () => {
    const found = await databasesNamed(server, family);
    for (const name of found) await dropDatabase(server, name);
    return found;
  });
}
