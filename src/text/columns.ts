/** The one column renderer: rows of cells padded to the widest cell of each column (as a terminal shows it). */
import { visible } from './colour.js';

export interface ColumnOptions {
  indent?: string;
  gap?: string;
}

export function columns(rows: readonly (readonly string[])[], opts: ColumnOptions = {}): string[] {
  const { indent = '', gap = '  ' } = opts;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, c) => { widths[c] = Math.max(widths[c] ?? 0, visible(cell).length); });
  const pad = (cell: string, width: number) => cell + ' '.repeat(Math.max(0, width - visible(cell).length));
  return rows.map((row) => `${indent}${row.map((cell, c) => (c === row.length - 1 ? cell : pad(cell, widths[c] ?? 0))).join(gap)}`.trimEnd());
}
