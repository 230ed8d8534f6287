/** The instance's own S3 bucket on the declared MinIO (infra.minio), or any S3-compatible server. */
import { composeProjectName } from '../plan/names.js';
import type { SliceKind } from './types.js';

export interface BucketSlice {
  name: string;
  /** As the apps reach it: http://localhost:9100 */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** MinIO's own defaults, when the declaration names no credentials. */
const DEFAULT_KEY = 'minioadmin';
const REGION = 'us-east-1';

/** The server as the tool's clients reach it (IPv4 loopback for this machine). */
const serverOf = (b: BucketSlice) => ({ ...b, endpoint: b.endpoint.replace('//localhost:', '//127.0.0.1:') });
const s3 = () => import('../provision/s3.js');

export const bucket: SliceKind<'bucket', BucketSlice> = {
  key: 'bucket',
  infra: 'minio',
  title: 'S3 bucket',
  noun: 'bucket',
  gone: 'the S3 bucket',
  service: (decl) => decl.infra?.minio?.service ?? '',
  plan({ decl, instance, port, host }) {
    const m = decl.infra?.minio;
    if (!m) return undefined;
    return {
      // Bucket names: 3-63 lower-case letters, digits and '-': the project name's rules, so the compose project name fits.
      name: composeProjectName(decl.project, instance),
      endpoint: `http://${host(m.service)}:${port(m.service)}`,
      accessKey: m.accessKey ?? DEFAULT_KEY, secretKey: m.secretKey ?? DEFAULT_KEY, region: REGION,
    };
  },
  show: (b) => `${b.name} at ${b.endpoint}`,
  name: (b) => b.name,
  server: (b) => b.endpoint.replace(/^http:\/\//, ''),
  json: (b) => ({ bucket: b.name }),
  intent: (b, verb) => (verb === 'create' ? `create S3 bucket ${b.name} at ${b.endpoint} (if missing)` : `empty and delete S3 bucket ${b.name} at ${b.endpoint}`),
  ensure: async (b) => ((await (await s3()).ensureBucket(serverOf(b), b.name)) ? 'created' : 'exists'),
  drop: async (b) => {
    const objects = await (await s3()).dropBucket(serverOf(b), b.name);
    return objects === undefined ? undefined : `bucket ${b.name} (${objects} object(s))`;
  },
};
