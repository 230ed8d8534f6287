/** The instance's own Postgres database on the declared server (infra.postgres). */
import { databaseName } from '../plan/names.js';
import { clientAddress } from '../plan/addresses.js';
import type { SliceKind } from './types.js';

export interface DatabaseSlice {
  name: string;
  user: string;
  password: string;
  /** Where it answers as the apps see it ('localhost' or a Docker host's address), and its port. */
  host: string;
  port: number;
  url: string;
}

/** The URL with its password shown as ****, for what is printed. */
const mask = (url: string, password: string): string => (password ? url.replace(`:${encodeURIComponent(password)}@`, ':****@') : url);

/** The server that holds the database, as the tool's clients reach it. */
export const pgServerOf = (d: DatabaseSlice) => ({ host: clientAddress(d.host), port: d.port, user: d.user, password: d.password });

const postgres = () => import('../provision/postgres.js');

export const database: SliceKind<'database', DatabaseSlice> = {
  key: 'database',
  infra: 'postgres',
  title: 'Database',
  service: (decl) => decl.infra?.postgres?.service ?? '',
  plan({ decl, instance, port, host, passwords }) {
    const pg = decl.infra?.postgres;
    if (!pg) return undefined;
    const name = databaseName(decl.project, instance);
    const at = host(pg.service);
    const p = port(pg.service);
    const password = passwords.postgres ?? pg.password;
    return {
      name, user: pg.user, password, host: at, port: p,
      url: `postgresql://${encodeURIComponent(pg.user)}:${encodeURIComponent(password)}@${at}:${p}/${name}`,
    };
  },
  show: (d) => `${d.name}  ${mask(d.url, d.password)}`,
  noun: 'database',
  gone: 'the database',
  name: (d) => d.name,
  server: (d) => `${d.host}:${d.port}`,
  json: (d) => ({ database: d.name }),
  intent: (d, verb) => (verb === 'create'
    ? `create database ${d.name} on ${clientAddress(d.host)}:${d.port} (if missing)`
    : `drop database ${d.name} on ${clientAddress(d.host)}:${d.port} WITH (FORCE)`),
  ensure: async (d) => ((await (await postgres()).ensureDatabase(pgServerOf(d), d.name)) ? 'created' : 'exists'),
  drop: async (d) => ((await (await postgres()).dropDatabase(pgServerOf(d), d.name)) ? `database ${d.name}` : undefined),
};
