/**
 * A stand-in image registry on loopback, speaking the registry protocol a real dockerd pulls with
 * (`GET /v2/`, a schema 2 manifest, blobs by digest): one image of one gzipped layer holding `bytes`
 * of random data. No registry is reachable from here and none can be pulled, so the pull tests need
 * one of their own. `hold()` makes the layer stop halfway until `release()`: a test sees a pull in
 * progress without racing a clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Registry {
  /** host:port, the prefix of the image's reference. */
  address: string;
  /** The reference a pull asks for: address/repo:tag. */
  image: string;
  /** The layer's size on the wire. */
  layerBytes: number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startRegistry(repo: string, tag: string, bytes: number): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'di-registry-'));
  writeFileSync(join(dir, 'payload'), randomBytes(bytes)); // random: gzip cannot shrink it, so the bytes pulled are the bytes said
  const tar = spawnSync('tar', ['-C', dir, '-cf', '-', 'payload'], { maxBuffer: bytes * 2 + 1e6 });
  rmSync(dir, { recursive: true, force: true });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  const layer = gzipSync(tar.stdout);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/payload'] },
    rootfs: { type: 'layers', diff_ids: [sha(tar.stdout)] },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: sha(layer) }],
  }));
  const blobs = new Map([[sha(config), config], [sha(layer), layer]]);
  let held = false;
  const waiting: (() => void)[] = [];

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (type: string, body: Buffer, digest?: string) => {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...(digest ? { 'Docker-Content-Digest': digest } : {}) });
      if (req.method === 'HEAD') return res.end();
      if (body !== layer || !held) return res.end(body);
      const half = Math.floor(body.length / 2);
      res.write(body.subarray(0, half));
      waiting.push(() => res.end(body.subarray(half)));
    };
    if (url === '/v2/' || url === '/v2') return send('application/json', Buffer.from('{}'));
    if (url === `/v2/${repo}/manifests/${tag}` || url === `/v2/${repo}/manifests/${sha(manifest)}`) {
      return send('application/vnd.docker.distribution.manifest.v2+json', manifest, sha(manifest));
    }
    const blob = new RegExp(`^/v2/${repo}/blobs/(sha256:[0-9a-f]{64})$`).exec(url);
    const found = blob && blobs.get(blob[1] as string);
    if (found) return send('application/octet-stream', found, blob?.[1]);
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    image: `${address}/${repo}:${tag}`,
    layerBytes: layer.length,
    hold: () => { held = true; },
    release: () => { held = false; waiting.splice(0).forEach((go) => go()); },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
