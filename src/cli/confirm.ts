/** Confirmation of a command that deletes or replaces data: a terminal answers 'yes', elsewhere --yes. */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';

/**
 * Whether to go on: --yes goes on; a terminal is asked (only 'yes' goes on); anywhere else it is
 * refused with exit 2 before anything ran. what: what the command is about to do, in one sentence.
 */
export async function confirmed(command: string, what: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new UsageError(`${command}: confirm on a terminal, or pass --yes. ${what}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${what}\nType 'yes' to continue: `)).trim() === 'yes';
  } finally {
    rl.close();
  }
}
