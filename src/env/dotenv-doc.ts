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

const ENTRY_START = /^(\s*(?:export\s+)?([\w.-]+)\s*=[ \t]*)(.*)$/;

export class EnvDocument {
  private constructor(private readonly lines: Line[]) {}

  static parse(text: string): EnvDocument {
    const src = text.replace(/\r\n?/g, '\n').split('\n');
    if (src.length > 0 && src[src.length - 1] === '') src.pop();
    const lines: Line[] = [];
    for (let i = 0; i < src.length; i++) {
      const line = src[i] ?? '';
      const m = ENTRY_START.exec(line);
      if (!m || line.trimStart().startsWith('#')) { lines.push({ kind: 'raw', text: line }); continue; }
      const head = m[1] ?? '';
      const key = m[2] ?? '';
      const rest = m[3] ?? '';
      const q = rest[0];
      if (q === '"' || q === "'" || q === '`') {
        // A quoted value may continue on the following lines until its closing quote.
        let body = rest.slice(1);
        let close = findClose(body, q);
        let j = i;
        while (close < 0 && j + 1 < src.length) { j++; body += `\n${src[j]}`; close = findClose(body, q); }
        if (close < 0) { lines.push({ kind: 'raw', text: line }); continue; } // unterminated: leave it alone
        const raw = body.slice(0, close);
        const tail = body.slice(close + 1);
        const value = q === '"' ? raw.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : raw;
        lines.push({ kind: 'entry', key, head, quote: q, value, tail, text: src.slice(i, j + 1).join('\n'), dirty: false });
        i = j;
        continue;
      }
      const hash = rest.indexOf('#');
      const valuePart = hash < 0 ? rest : rest.slice(0, hash);
      const value = valuePart.trim();
      const tail = rest.slice(valuePart.trimEnd().length);
      lines.push({ kind: 'entry', key, head, quote: '', value, tail, text: line, dirty: false });
    }
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
    const out = this.lines.map((l) => (l.kind === 'raw' || !l.dirty ? l.text : l.head + encode(l.value, l.quote) + l.tail));
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }

  private entries(): EntryLine[] {
    return this.lines.filter((l): l is EntryLine => l.kind === 'entry');
  }
}

function findClose(body: string, q: string): number {
  for (let k = 0; k < body.length; k++) {
    if (body[k] === '\\' && q !== "'") { k++; continue; }
    if (body[k] === q) return k;
  }
  return -1;
}

/** Encode a value keeping the entry's quote style when it can carry the value; otherwise pick one that can. */
function encode(value: string, preferred: Quote): string {
  const fits: Record<Quote, boolean> = {
    '': /^[^\s#'"`\\]*$/.test(value),
    "'": !/['\n\r]/.test(value),
    '"': !value.includes('"') && !/\\[nr]/.test(value),
    '`': !value.includes('`') && !/[\n\r]/.test(value),
  };
  const order: Quote[] = [preferred, '"', "'", '`'];
  const quote = order.find((q) => fits[q]);
  if (quote === undefined) throw new Error(`cannot write a value containing all of ' " \` and a newline to an env file`);
  if (quote === '"') return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  return `${quote}${value}${quote}`;
}
