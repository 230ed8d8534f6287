/** The MCP tools are made from the command specs: their arguments checked with the CLI's rules, handed over after `--`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliWords, deadlineOf, schemaOf } from '../../src/cli/commands/mcp.js';
import { DUMP_DEADLINE_MS } from '../../src/engines/dump.js';
import { usage, wrap } from '../../src/cli/help.js';
import { COMMANDS, usageOf } from '../../src/cli/registry.js';

const spec = (name: string) => {
  const c = COMMANDS.find((x) => x.name === name);
  assert.ok(c);
  return c;
};

describe('MCP tools from the command specs', () => {
  it('a restore name that looks like a flag or a number stays an operand: after --, never an option or the instance', () => {
    assert.deepEqual(cliWords(spec('restore'), { instance: 4, name: '--no-backup' }), ['restore', '--yes', '--json', '--', '4', '--no-backup']);
    assert.deepEqual(cliWords(spec('restore'), { name: 'agent-4' }), ['restore', '--yes', '--json', '--', 'agent-4']);
    assert.deepEqual(cliWords(spec('logs'), { instance: 'all', lines: 5 }), ['logs', '--lines', '5', '--no-follow', '--', 'all']);
    assert.deepEqual(cliWords(spec('clone'), { instance: 2, from: 1 }), ['clone', '--from', '1', '--yes', '--json', '--', '2']);
    assert.deepEqual(cliWords(spec('clone'), { instance: 3, from: 1, start: true }), ['clone', '--from', '1', '--start', '--yes', '--json', '--', '3']);
    assert.deepEqual(cliWords(spec('clone'), { instance: 3, from: 1, start: false }), ['clone', '--from', '1', '--yes', '--json', '--', '3']);
  });

  it("refuses, before any CLI runs, a restore name the CLI would read as a flag or as the instance, and any argument outside the CLI's own rules", () => {
    const param = (cmd: string, name: string) => {
      const p = spec(cmd).mcp?.params?.[name];
      assert.ok(p, `${cmd}.${name}`);
      return schemaOf(p);
    };
    const name = param('restore', 'name');
    for (const bad of ['3', '--no-backup', '-x', '../etc/passwd', 'a b', '']) assert.equal(name.safeParse(bad).success, false, bad);
    for (const good of ['agent-4', 'instance-1-20261201T101010.dump', 'golden']) assert.equal(name.safeParse(good).success, true, good);
    const from = param('clone', 'from');
    for (const bad of [-1, 1.5, '1']) assert.equal(from.safeParse(bad).success, false, String(bad));
  });

  it('every tool call has a deadline beyond what the command itself may wait: a wait its own timeout, a data command a dump and a restore', () => {
    assert.equal(deadlineOf(spec('wait'), { timeoutSeconds: 600 }), 660_000);
    assert.equal(deadlineOf(spec('wait'), {}), 180_000);
    assert.ok(deadlineOf(spec('restore'), {}) > 2 * DUMP_DEADLINE_MS);
    assert.ok(deadlineOf(spec('snapshot'), {}) > DUMP_DEADLINE_MS);
    assert.ok(deadlineOf(spec('start'), {}) > DUMP_DEADLINE_MS + 5 * 60_000, "a start's pulls and then its seed's restore (30 min) fit");
  });

  it('every flag an MCP tool passes is one its command takes, and every usage line names the command\'s flags', () => {
    for (const c of COMMANDS) {
      for (const p of Object.values(c.mcp?.params ?? {})) if (p.to !== 'operand') assert.ok(c.flags.includes(p.to), `${c.name}: --${p.to}`);
      for (const f of c.flags) assert.ok(usageOf(c).includes(`--${f}`), `${c.name} usage lacks --${f}`);
    }
    assert.equal(usageOf(spec('start')), 'start N [--engine E] [--infra M] [--host CONTEXT|URL] [--seed SNAPSHOT] [--dry-run] [--json]');
  });

  it('the usage wraps to the terminal\'s width: no line longer, every action still at the start of its line', () => {
    assert.deepEqual(wrap('one two three four', 9, '  '), ['  one two', '  three', '  four']);
    const text = usage(COMMANDS, 17, 'X_INSTANCE', 60);
    assert.ok(text.split('\n').every((l) => l.length <= 60), text);
    for (const c of COMMANDS) assert.match(text, new RegExp(`^  ${c.name}\\b`, 'm'));
  });
});
