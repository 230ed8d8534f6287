/** Colour on a terminal only (NO_COLOR, FORCE_COLOR honoured), and tables that stay aligned with it. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { statusTable } from '../../src/cli/messages.js';
import { colourWanted, useColour, visible } from '../../src/text/colour.js';

describe('colour', () => {
  after(() => useColour(false));

  it('a terminal gets colour; NO_COLOR wins over a terminal, FORCE_COLOR over a pipe; TERM=dumb none', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    assert.deepEqual([
      colourWanted(tty, {}), colourWanted(pipe, {}), colourWanted(tty, { NO_COLOR: '1' }), colourWanted(pipe, { FORCE_COLOR: '1' }),
      colourWanted(tty, { FORCE_COLOR: '0' }), colourWanted(tty, { TERM: 'dumb' }), colourWanted(tty, { NO_COLOR: '' }),
    ], [true, false, false, true, true, false, true]);
  });

  it('the status table tints state and health, and its columns line up as the terminal shows them', () => {
    const rows = [
      { name: 'app-web-1', port: 3100, state: 'online', pid: 11, uptimeMs: 5_000, restarts: 0, health: 'ok' },
      { name: 'app-postgres-1', port: 5532, state: 'errored', pid: 0, uptimeMs: undefined, restarts: 3, health: 'failing' },
    ];
    const plain = statusTable([{ instance: 1, engine: 'native', processes: rows as never }]);
    useColour(true);
    const coloured = statusTable([{ instance: 1, engine: 'native', processes: rows as never }]);
    assert.ok(coloured.includes('\u001b[32monline\u001b[0m'));
    assert.ok(coloured.includes('\u001b[31merrored\u001b[0m'));
    assert.equal(visible(coloured), plain);
  });
});
