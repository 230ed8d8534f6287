/**
 * A .env file as an editable document: comments, blank lines, order, quoting and unknown keys survive
 * a round trip. Values are read with dotenv's rules (so what we read is what an app reading the file
 * with dotenv sees); only entries whose value changes are re-encoded.
 */

type Quote = '' | '"' | "'" | '`';

interface RawLine {
  kind: 'raw';
  text: string;
}
interface EntryLine {
  kind: 'entry';
  key: string;
  /** Everything before the value: indentation, `export `, the key and `=` with its spacing. */
  head: string;
  quote: Quote;
  value: string;
  /** Everything after the value: spacing and an inline comment. */
  tail: string;
  /** Original text (may span lines for a quoted value); used while the entry is unchanged. */
  text: string;
  dirty: boolean;
}
type Line = RawLine | EntryLine;

/**
 * dotenv's own rule for an entry (its LINE expression, with the separator captured too), applied to
 * the whole text as dotenv applies it: what we read is what dotenv reads, a quoted value spanning
 * lines and a backslash before a closing quote included.
 */
const DOTENV_ENTRY = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;
const QUOTED = /^(['"`])([\s\S]*)\1$/gm;

export class EnvDocument {
  private constructor(private readonly lines: Line[]) {}

  static parse(text: string): EnvDocument {
    const src = text.replace(/\r\n?/g, '\n');
    const starts = [0];
    for (let k = 0; k < src.length; k++) if (src[k] === '\n') starts.push(k + 1);
    if (src.endsWith('\n')) starts.pop();
    const lineOf = (pos: number) => { let i = 0; while (i + 1 < starts.length && (starts[i + 1] ?? 0) <= pos) i++; return i; };
    const lineEnd = (i: number) => { const nl = src.indexOf('\n', starts[i] ?? 0); return nl < 0 ? src.length : nl; };
    const textOf = (from: number, to: number) => src.slice(starts[from] ?? 0, lineEnd(to));
    const lines: Line[] = [];
    let next = 0;
    const rawUntil = (line: number) => { for (; next < line; next++) lines.push({ kind: 'raw', text: textOf(next, next) }); };
    DOTENV_ENTRY.lastIndex = 0;
    for (let m = DOTENV_ENTRY.exec(src); m; m = DOTENV_ENTRY.exec(src)) {
      const key = m[1] ?? '';
      const [keyStart = 0] = m.indices?.[1] ?? [];
      const [, sepEnd = 0] = m.indices?.[2] ?? [];
      const [vs = sepEnd] = m.indices?.[3] ?? [];
      const raw = m[3] ?? '';
      const trimmed = raw.trim();
      const valueStart = vs + (raw.length - raw.trimStart().length);
      const valueEnd = valueStart + trimmed.length;
      const first = lineOf(keyStart);
      const last = lineOf(Math.max(keyStart, valueEnd - 1));
      const q = trimmed[0];
      let value = trimmed.replace(QUOTED, '$2');
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
      const quote: Quote = (q === '"' || q === "'" || q === '`') && value !== trimmed ? q : '';
      rawUntil(first);
      lines.push({
        kind: 'entry', key, head: src.slice(starts[first] ?? 0, valueStart), quote, value,
        tail: src.slice(valueEnd, lineEnd(last)), text: textOf(first, last), dirty: false,
      });
      next = last + 1;
    }
    rawUntil(starts.length);
    return new EnvDocument(lines);
  }

  static empty(): EnvDocument {
    return new EnvDocument([]);
  }

  /** The value dotenv would give the key (the last occurrence wins, as in dotenv). */
  get(key: string): string | undefined {
    let found: string | undefined;
    for (const l of this.lines) if (l.kind === 'entry' && l.key === key) found = l.value;
    return found;
  }

  keys(): string[] {
    return [...new Set(this.entries().map((e) => e.key))];
  }

  /** Every key and its value, in file order, with dotenv's last-one-wins for duplicates. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.entries()) out[e.key] = e.value;
    return out;
  }

  /** Replace the value of every occurrence of key, or append `KEY=value` when absent. */
  set(key: string, value: string): void {
    let seen = false;
    for (const l of this.lines) {
      if (l.kind !== 'entry' || l.key !== key) continue;
      seen = true;
      if (l.value !== value) { l.value = value; l.dirty = true; }
    }
    if (!seen) this.lines.push({ kind: 'entry', key, head: `${key}=`, quote: '', value, tail: '', text: '', dirty: true });
  }

  /** Apply fn to every value; entries whose value changes are re-encoded. */
  mapValues(fn: (value: string, key: string) => string): void {
    for (const l of this.entries()) {
      const next = fn(l.value, l.key);
      if (next !== l.value) { l.value = next; l.dirty = true; }
    }
  }

  appendComment(text: string): void {
    this.lines.push({ kind: 'raw', text: `# ${text}` });
  }

  toString(): string {
    const out = this.lines.map((l) => (l.kind === 'raw' || !l.dirty ? l.text : l.head + encode(l.key, l.value, l.quote) + l.tail));
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }

  private entries(): EntryLine[] {
    return this.lines.filter((l): l is EntryLine => l.kind === 'entry');
  }
}

/**
 * Encode a value keeping the entry's quote style when it can carry the value; otherwise pick one that
 * can. What each form carries is what dotenv reads back unchanged: dotenv has no escapes (only \\n and
 * \\r inside double quotes), so a quoted value cannot hold its own quote or end with a backslash
 * (read as an escaped closing quote), and a bare one cannot hold `#`, a newline, surrounding spaces
 * or a leading quote.
 */
function encode(key: string, value: string, preferred: Quote): string {
  const endsEscaped = value.endsWith('\\');
  const fits: Record<Quote, boolean> = {
    '': value === '' || (/^[^\s#'"`]/.test(value) && !/[#\r\n]/.test(value) && !/\s$/.test(value)),
    "'": !/['\n\r]/.test(value) && !endsEscaped,
    '"': !value.includes('"') && !/\\[nr]/.test(value) && !endsEscaped,
    '`': !/[`\n\r]/.test(value) && !endsEscaped,
  };
  const order: Quote[] = [preferred, '', '"', "'", '`'];
  const quote = order.find((q) => fits[q]);
  if (quote === undefined) {
    throw new Error(`${key}: its value cannot be written to an env file so that dotenv reads it back (it holds ${describe(value)})`);
  }
  if (quote === '"') return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  return `${quote}${value}${quote}`;
}

const describe = (value: string): string => [
  ...(value.includes("'") ? ["'"] : []), ...(value.includes('"') ? ['"'] : []), ...(value.includes('`') ? ['`'] : []),
  ...(/[\n\r]/.test(value) ? ['a newline'] : []), ...(value.endsWith('\\') ? ['a final backslash'] : []), ...(value.includes('#') ? ['#'] : []),
].join(', ');
