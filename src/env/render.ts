/**
 * Render an instance's env file from the stack's source env files: by key, never by substring.
 * Pure: the caller reads the files and writes the result.
 */
import { ConfigError } from '../errors.js';
import { EnvDocument } from './dotenv-doc.js';

export interface EnvSource {
  path: string;
  /** undefined when the file does not exist. */
  text: string | undefined;
}

export interface RenderInput {
  sources: EnvSource[];
  /** Keys the plan owns: replaced where present, appended where absent. */
  owned: Record<string, string>;
  /** base port -> instance port, for localhost addresses in values the plan does not own. */
  portMoves: ReadonlyMap<number, number>;
  /** The per-instance local override file; its keys win over everything. */
  local?: EnvSource;
  header: string[];
}

// A loopback host and port, where the host starts the value, follows `//` or `@` (a URL) or a list
// separator, and the port ends at a URL or list boundary. `:9000` never matches inside `:90001`.
const LOCAL_ADDRESS = /(^|[\s,;=@]|\/\/)(localhost|127\.0\.0\.1|\[::1\]):(\d{1,5})(?=$|[/?#,;\s"')])/gi;

export function moveLocalPorts(value: string, portMoves: ReadonlyMap<number, number>): string {
  return value.replace(LOCAL_ADDRESS, (whole, lead: string, host: string, port: string) => {
    const moved = portMoves.get(Number(port));
    return moved === undefined ? whole : `${lead}${host}:${moved}`;
  });
}

export function renderEnv(input: RenderInput): { text: string; values: Record<string, string> } {
  const present = input.sources.filter((s): s is { path: string; text: string } => s.text !== undefined);
  const [first, ...later] = present;
  const doc = first ? EnvDocument.parse(first.text) : EnvDocument.empty();
  for (const layer of later) {
    const over = EnvDocument.parse(layer.text);
    for (const [k, v] of Object.entries(over.toObject())) doc.set(k, v);
  }
  doc.mapValues((v, k) => (k in input.owned ? v : moveLocalPorts(v, input.portMoves)));
  const absent = Object.keys(input.owned).filter((k) => doc.get(k) === undefined);
  if (absent.length > 0) doc.appendComment('Added by dev-instances: keys the plan owns that the sources do not set');
  for (const [k, v] of Object.entries(input.owned)) doc.set(k, v);
  if (input.local?.text !== undefined) {
    for (const [k, v] of Object.entries(EnvDocument.parse(input.local.text).toObject())) doc.set(k, v);
  }
  const header = input.header.map((l) => `# ${l}`).join('\n');
  let text: string;
  try {
    text = doc.toString();
  } catch (err) {
    throw new ConfigError([`env of ${input.sources.map((s) => s.path).join(', ') || 'the declaration'}: ${(err as Error).message}`]);
  }
  return { text: `${header}\n${text}`, values: doc.toObject() };
}
