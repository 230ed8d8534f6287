/**
 * An image pull says how many bytes have come, every few seconds, while the real dockerd pulls from a
 * stand-in registry on loopback; a reference the registry does not have is refused in one line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { imagePresent, pullImage } from '../../src/engines/docker/images.js';
import { LayerTally, pullQuery } from '../../src/engines/docker/pull.js';
import { onLongWaits } from '../../src/progress.js';
import { docker, dockerForTests, skipUnlessDocker } from '../helpers/docker.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

describe('the Engine API pull, pure parts', () => {
  it('a reference without a tag asks for :latest (an empty tag would pull every tag); a tag or digest is kept', () => {
    assert.equal(pullQuery('postgres'), 'fromImage=postgres&tag=latest');
    assert.equal(pullQuery('127.0.0.1:5000/a/b'), 'fromImage=127.0.0.1%3A5000%2Fa%2Fb&tag=latest');
    assert.equal(pullQuery('127.0.0.1:5000/a/b:2'), 'fromImage=127.0.0.1%3A5000%2Fa%2Fb%3A2');
    assert.equal(pullQuery('redis@sha256:ab'), 'fromImage=redis%40sha256%3Aab');
  });

  it('counts each layer once its size is known, and a finished layer whole', () => {
    const t = new LayerTally();
    t.take({ status: 'Pulling fs layer', id: 'a' });
    t.take({ status: 'Downloading', id: 'a', progressDetail: { current: 100, total: 1000 } });
    t.take({ status: 'Downloading', id: 'b', progressDetail: { current: 10, total: 500 } });
    t.take({ status: 'Downloading', id: 'a', progressDetail: { current: 400, total: 1000 } });
    assert.deepEqual(t.progress, { done: 410, total: 1500 });
    t.take({ status: 'Download complete', id: 'b' });
    t.take({ status: 'Already exists', id: 'c' });
    assert.deepEqual(t.progress, { done: 900, total: 1500 });
  });
});

const setup = dockerForTests();

describe('pulling an image through a real dockerd', { skip: skipUnlessDocker(setup, 'image pull') }, () => {
  let registry: Registry;
  before(async () => {
    assert.equal(setup.reason, undefined, setup.reason);
    registry = await startRegistry('ditest/pulled', '1', 4 * 1024 * 1024);
  });
  after(async () => {
    onLongWaits(undefined);
    docker('image', 'rm', '--force', registry.image);
    await registry.close();
  });

  it('says the bytes pulled so far while the layer comes, and the image is there after', async () => {
    docker('image', 'rm', '--force', registry.image);
    const lines: string[] = [];
    // The layer stops halfway until a line has named bytes: what the test sees does not depend on a clock.
    registry.hold();
    onLongWaits((l) => {
      lines.push(l);
      if (/; [1-9][\d.]* [KM]?B of /.test(l)) registry.release();
    }, 50);
    assert.equal(await pullImage(registry.image), undefined);
    onLongWaits(undefined);
    const counted = lines.find((l) => /of 4\.0 MB\)$/.test(l));
    assert.ok(counted, `a line with the bytes: ${lines.join(' | ')}`);
    assert.match(counted, new RegExp(`^still pulling ${registry.image.replace(/[.]/g, '\\.')} \\(\\d+ s; [\\d.]+ [KM]?B of 4\\.0 MB\\)$`));
    assert.ok(await imagePresent(registry.image), 'the image is on the engine');
  });

  it('an image the registry does not have: why, in one line', async () => {
    const why = await pullImage(`${registry.address}/ditest/absent:1`);
    assert.ok(why, 'a failure');
    assert.doesNotMatch(why, /\n/);
    assert.match(why, /manifest unknown|not found/i);
  });
});
