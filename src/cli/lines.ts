/** The CLI's one-line messages of its own (errors, warnings, notes): no imports beyond colour, so every command can load them. */
import { tint } from '../text/colour.js';

export const PROGRAM = 'dev-instances';

export const errorLine = (message: string): string => `${PROGRAM}: ${tint('red', message)}`;
export const warningLine = (message: string): string => `${PROGRAM}: ${tint('yellow', 'warning:')} ${message}`;
export const noteLine = (message: string): string => `${PROGRAM}: ${message}`;

export const notATarget = (raw: string, max: number, actions: readonly string[]): string =>
  `'${raw}' is neither an action nor an instance number: expected an integer from 0 to ${max}, or one of ${actions.join(', ')}`;

export const noAllFor = (action: string): string => `${action} works on one instance; give a number, not 'all'`;
