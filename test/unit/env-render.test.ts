import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as dotenvParse } from 'dotenv';
import { EnvDocument } from '../../src/env/dotenv-doc.js';
import { moveLocalPorts, renderEnv } from '../../src/env/render.js';

const moves = new Map([[9000, 9100], [9001, 9101], [3211, 3311], [5433, 5533], [6379, 6479], [9092, 9192]]);
const render = (text: string, owned: Record<string, string> = {}, local?: string, later?: string) =>
  renderEnv({
    sources: [{ path: 'a.env', text }, ...(later === undefined ? [] : [{ path: 'b.env', text: later }])],
    owned, portMoves: moves, header: ['generated'],
    ...(local === undefined ? {} : { local: { path: 'x.local.env', text: local } }),
  });

describe('moveLocalPorts', () => {
  const cases: [string, string][] = [
    ['http://localhost:9000', 'http://localhost:9100'],
    ['http://localhost:90001', 'http://localhost:90001'],
    ['http://localhost:9000/bucket?x=1', 'http://localhost:9100/bucket?x=1'],
    ['http://127.0.0.1:9001/browser', 'http://127.0.0.1:9101/browser'],
    ['postgresql://u:p@localhost:5433/db', 'postgresql://u:p@localhost:5533/db'],
    ['localhost:9092,localhost:9093', 'localhost:9192,localhost:9093'],
    ['http://example.com:9000', 'http://example.com:9000'],
    ['http://mylocalhost:9000', 'http://mylocalhost:9000'],
    ['http://localhost:19000', 'http://localhost:19000'],
    ['3211', '3211'],
    ['see :9000 later', 'see :9000 later'],
    ['http://[::1]:6379', 'http://[::1]:6479'],
  ];
  for (const [input, want] of cases) it(`${input} -> ${want}`, () => assert.equal(moveLocalPorts(input, moves), want));
});

describe('renderEnv', () => {
  it('moves :9000 but leaves :90001 alone, in the same file', () => {
    const { values } = render('A=http://localhost:9000\nB=http://localhost:90001\n');
    assert.equal(values.A, 'http://localhost:9100');
    assert.equal(values.B, 'http://localhost:90001');
  });

  it('replaces a bare PORT=3211 by key, and appends owned keys absent from the source', () => {
    const { text, values } = render('PORT=3211\nOTHER=3211\n', { PORT: '3311', SHIPSEC_INSTANCE: '1' });
    assert.equal(values.PORT, '3311');
    assert.equal(values.OTHER, '3211', 'a bare number the plan does not own is not rewritten');
    assert.match(text, /^# Added by dev-instances.*\nSHIPSEC_INSTANCE=1$/m);
  });

  it('keeps comments, blank lines, order, quoting, export and unknown keys', () => {
    const src = [
      '# top comment', '', 'export A="http://localhost:9000" # inline', "B='single quoted'", 'C=`tick`',
      'UNKNOWN=keep me', '  # indented comment', 'D="multi', 'line"', 'E=value # trailing comment', '',
    ].join('\n');
    const { text } = render(src);
    assert.equal(text, `# generated\n${src.replace('localhost:9000', 'localhost:9100')}`);
  });

  it('keeps the quote style of a replaced value and quotes values that need it', () => {
    const { text } = render("A='old'\nB=\"old\"\nC=old\n", { A: 'new', B: 'new', C: 'has space #x' });
    assert.match(text, /^A='new'$/m);
    assert.match(text, /^B="new"$/m);
    assert.match(text, /^C="has space #x"$/m);
  });

  it('reads values exactly as dotenv does', () => {
    const src = 'A=plain\nB="q # not comment"\nC=x # comment\nD=\'s\'\nE="l1\\nl2"\nF=\nexport G=g\nH = spaced \nI="multi\nline"\n';
    assert.deepEqual(EnvDocument.parse(src).toObject(), dotenvParse(src));
  });

  it('writes values that dotenv reads back unchanged', () => {
    const tricky = { A: 'with space', B: 'has "double"', C: "it's", D: 'a#b', E: 'line1\nline2', F: '' };
    const { text } = render('', tricky);
    const back = dotenvParse(text);
    for (const [k, v] of Object.entries(tricky)) assert.equal(back[k], v, k);
  });

  describe('every value round-trips through the writer and the reader, and dotenv reads the same (the env file is never misread)', () => {
    const values: [string, string][] = [
      ['a Windows path ending in a backslash', 'C:\\data\\'],
      ['backslashes inside', 'a\\b\\c'],
      ['a backslash before n (not a newline)', 'C:\\new'],
      ['double quotes', 'say "hi"'],
      ['a single quote', "it's"],
      ['a backtick', 'run `x`'],
      ['a dollar and braces', '$HOME ${USER} $$'],
      ['a hash', 'a#b # c'],
      ['a newline', 'line1\nline2'],
      ['a carriage return', 'a\rb'],
      ['a backslash and a newline', 'a\\\nb'],
      ['surrounding spaces', '  padded  '],
      ['a leading quote', '"start'],
      ['unicode', 'héllo wörld ✓ 日本'],
      ['an equals sign', 'a=b=c'],
      ['empty', ''],
    ];
    for (const [what, value] of values) {
      it(what, () => {
        // Written between two other entries and re-read: the neighbours survive too.
        const doc = EnvDocument.parse('BEFORE="x"\nX=old\nAFTER="y"\n');
        doc.set('X', value);
        const text = doc.toString();
        const want = { BEFORE: 'x', X: value, AFTER: 'y' };
        assert.deepEqual(EnvDocument.parse(text).toObject(), want, text);
        assert.deepEqual(dotenvParse(text), want, text);
        const again = EnvDocument.parse(text);
        again.set('AFTER', 'z');
        assert.deepEqual(dotenvParse(again.toString()), { ...want, AFTER: 'z' }, 'an unchanged entry is written back as it was read');
      });
    }

    it('a value no form can carry is refused, naming the key, instead of being written wrong', () => {
      const doc = EnvDocument.parse('');
      doc.set('BAD', `'"\`\nend\\`);
      assert.throws(() => doc.toString(), /^Error: BAD: its value cannot be written to an env file so that dotenv reads it back \(it holds ', ", `, a newline, a final backslash\)$/);
    });

    it('reads what dotenv reads from files it did not write: a backslash before the closing quote, KEY: value, values spanning lines', () => {
      const src = 'A="C:\\data\\"\nB=2\nC: colon\nD=\'multi\nline\'\n# E=comment\n  F = spaced # note\nG="esc \\" quote"\n';
      assert.deepEqual(EnvDocument.parse(src).toObject(), dotenvParse(src));
      assert.equal(EnvDocument.parse(src).toString(), src, 'an untouched file is written back byte for byte');
    });
  });

  it('lets a later source override an earlier one, and the local override win over the plan', () => {
    const { values } = render('A=1\nPORT=1\n', { PORT: '3311' }, 'PORT=4000\nEXTRA=yes\n', 'A=2\nB=http://localhost:5433\n');
    assert.equal(values.A, '2');
    assert.equal(values.B, 'http://localhost:5533');
    assert.equal(values.PORT, '4000');
    assert.equal(values.EXTRA, 'yes');
  });

  it('starts from the plan alone when no source exists', () => {
    const r = renderEnv({ sources: [{ path: 'missing', text: undefined }], owned: { X: '1' }, portMoves: moves, header: ['h'] });
    assert.deepEqual(r.values, { X: '1' });
  });

  it('replaces every occurrence of a duplicated key', () => {
    const { text, values } = render('PORT=1\nPORT=2\n', { PORT: '3311' });
    assert.equal(values.PORT, '3311');
    assert.equal(text.match(/^PORT=3311$/gm)?.length, 2);
  });
});
