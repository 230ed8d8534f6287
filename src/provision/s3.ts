/**
 * The S3 calls a bucket slice needs, path-style, signed with AWS Signature Version 4 (aws4) and sent
 * with fetch: does the bucket exist, create it, list its keys, delete them in batches, delete it.
 * MinIO, and any S3-compatible server, answers these.
 */
import { createHash } from 'node:crypto';
import aws4 from 'aws4';
import { OperationalError } from '../errors.js';
import { pollUntil } from '../poll.js';

export interface S3Server {
  /** http://127.0.0.1:9100 */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

const TIMEOUT_MS = 10_000;
/** DeleteObjects takes at most this many keys a call. */
const DELETE_BATCH = 1000;

/** XML text as written by any server: named entities, and numeric ones (Go's encoder writes &#39; and &#xA;). */
const xmlText = (s: string): string => s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => (e.startsWith('#')
  ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
  : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[e] ?? ''));
const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function call(s: S3Server, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const url = new URL(path, s.endpoint);
  const signed = aws4.sign({ host: url.host, method, path: `${url.pathname}${url.search}`, body, headers, service: 's3', region: s.region },
    { accessKeyId: s.accessKey, secretAccessKey: s.secretKey });
  try {
    const res = await fetch(url, { method, headers: signed.headers as Record<string, string>, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const why = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new OperationalError(`S3 at ${s.endpoint} did not answer ${method} ${url.pathname}: ${why}`, 'Is its MinIO running? just dev N status');
  }
}

function failed(what: string, r: { status: number; text: string }): OperationalError {
  const code = /<Code>([^<]*)<\/Code>/.exec(r.text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(r.text)?.[1];
  return new OperationalError(`${what}: HTTP ${r.status}${code ? ` ${code}` : ''}${message ? `: ${xmlText(message)}` : ''}`,
    r.status === 403 ? 'Check infra.minio.accessKey and secretKey in the declaration against the server\'s.' : undefined);
}

/** MinIO accepts connections before it serves (503 while it initialises): how long a bucket call waits for it. */
const SERVING_DEADLINE_MS = 30_000;

export async function bucketExists(s: S3Server, bucket: string): Promise<boolean> {
  const r = await call(s, 'HEAD', `/${bucket}`);
  if (r.status === 404) return false;
  if (r.status === 200) return true;
  throw failed(`HEAD bucket ${bucket}`, r);
}

/** Returns true when this call created the bucket. A server that is still starting (503, no answer) is waited for. */
export async function ensureBucket(s: S3Server, bucket: string): Promise<boolean> {
  let last: Error | undefined;
  const exists = await pollUntil(async () => {
    try {
      return await bucketExists(s, bucket);
    } catch (err) {
      last = err as Error;
      if (/HTTP 503|did not answer/.test(last.message)) return undefined;
      throw err;
    }
  }, { deadlineMs: SERVING_DEADLINE_MS, intervalMs: 200, timeout: () => last ?? new OperationalError(`S3 at ${s.endpoint} is not serving`) });
  if (exists) return false;
  const r = await call(s, 'PUT', `/${bucket}`);
  if (r.status === 200) return true;
  if (/BucketAlreadyOwnedByYou/.test(r.text)) return false;
  throw failed(`create bucket ${bucket}`, r);
}

/** Every key of the bucket (ListObjectsV2, page by page). */
export async function listKeys(s: S3Server, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await call(s, 'GET', `/${bucket}?list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`);
    if (r.status !== 200) throw failed(`list bucket ${bucket}`, r);
    for (const m of r.text.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(xmlText(m[1] ?? ''));
    const next = /<IsTruncated>true<\/IsTruncated>/.test(r.text) ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(r.text)?.[1] : undefined;
    token = next === undefined ? undefined : xmlText(next);
  } while (token);
  return keys;
}

/** Empty the bucket and remove it; the number of objects it held, or undefined when there was no bucket. */
export async function dropBucket(s: S3Server, bucket: string): Promise<number | undefined> {
  if (!(await bucketExists(s, bucket))) return undefined;
  const keys = await listKeys(s, bucket);
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const body = `<Delete><Quiet>true</Quiet>${keys.slice(i, i + DELETE_BATCH).map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('')}</Delete>`;
    const md5 = createHash('md5').update(body).digest('base64');
    const r = await call(s, 'POST', `/${bucket}?delete`, body, { 'Content-MD5': md5, 'Content-Type': 'application/xml' });
    if (r.status !== 200 || /<Error>/.test(r.text)) throw failed(`delete objects of bucket ${bucket}`, r);
  }
  const r = await call(s, 'DELETE', `/${bucket}`);
  if (r.status !== 204 && r.status !== 200) throw failed(`delete bucket ${bucket}`, r);
  return keys.length;
}
