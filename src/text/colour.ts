/**
 * Colour on a terminal only: NO_COLOR (any value) turns it off, FORCE_COLOR (not '0' or 'false') on;
 * otherwise a TTY that is not TERM=dumb. The CLI decides once per run (useColour); wording asks tint.
 */
let enabled = false;

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function useColour(on: boolean): void {
  enabled = on;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Tint = keyof typeof CODES;

export const tint = (how: Tint, text: string): string => (enabled && text ? `\x1b[${CODES[how]}m${text}\x1b[0m` : text);

/** What a terminal shows of a string: without colour codes. */
const ESC = String.fromCharCode(27);
const CODE_RE = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
export const visible = (text: string): string => text.replace(CODE_RE, '');
