/** The one column renderer: rows of cells padded to the widest cell of each column. */
export interface ColumnOptions {
  indent?: string;
  gap?: string;
}

export function columns(rows: readonly (readonly string[])[], opts: ColumnOptions = {}): string[] {
  const { indent = '', gap = '  ' } = opts;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, c) => { widths[c] = Math.max(widths[c] ?? 0, cell.length); });
  return rows.map((row) => `${indent}${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join(gap)}`.trimEnd());
}
