import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { silentLogger } from '../logger.js';
import { chainId } from './image-chain.js';
import { SandboxImageTracer, type SandboxSnapshot, type TracerSource } from './sandbox-tracer.js';

const layer = (c: string) => `sha256:${c.repeat(64)}`;
const id = (c: string) => `sha256:${c.repeat(64)}`;

interface FakeImage {
  readonly id: string;
  readonly config: Uint8Array;
}

function image(idChar: string, layers: readonly string[], extra = {}): FakeImage {
  const config = { ...extra, rootfs: { type: 'layers', diff_ids: layers } };
  return { id: id(idChar), config: Buffer.from(JSON.stringify(config)) };
}

/** A node in memory: snapshots by key, images by ID; counts config reads. */
class FakeNode implements TracerSource {
  readonly snapshots = new Map<string, string>();
  readonly names = new Map<string, string>();
  images: FakeImage[] = [];
  configReads = 0;
  failing = new Set<string>();

  snapshotParent(s: SandboxSnapshot): Promise<string | undefined> {
    return Promise.resolve(this.snapshots.get(`${s.snapshotter}/${s.key}`));
  }

  imageIds(): Promise<readonly string[]> {
    return Promise.resolve(this.images.map((i) => i.id));
  }

  imageIdByName(name: string): Promise<string | undefined> {
    return Promise.resolve(this.names.get(name));
  }

  imageConfig(imageId: string): Promise<Uint8Array | undefined> {
    this.configReads += 1;
    if (this.failing.has(imageId)) return Promise.reject(new Error('read timed out'));
    return Promise.resolve(this.images.find((i) => i.id === imageId)?.config);
  }

  sandboxOn(key: string, layers: readonly string[]): SandboxSnapshot {
    this.snapshots.set(`overlayfs/${key}`, chainId(layers) ?? '');
    return { snapshotter: 'overlayfs', key };
  }
}

describe('sandbox image tracing by snapshot chain', () => {
  test('a sandbox traces to the image whose top layer chain is its snapshot parent', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')]), image('b', [layer('1'), layer('2')])];
    const tracer = new SandboxImageTracer(node, silentLogger());

    assert.deepEqual(await tracer.imageIdsOf(node.sandboxOn('s1', [layer('1'), layer('2')])), [
      id('b'),
    ]);
    assert.deepEqual(await tracer.imageIdsOf(node.sandboxOn('s2', [layer('1')])), [id('a')]);
  });

  test('images sharing one layer stack are all returned', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')], { env: ['A=1'] }), image('b', [layer('1')])];
    const tracer = new SandboxImageTracer(node, silentLogger());

    const ids = await tracer.imageIdsOf(node.sandboxOn('s', [layer('1')]));
    assert.deepEqual(ids.sort(), [id('a'), id('b')]);
  });

  test('a sandbox without a snapshot, or on layers no image has, traces to nothing', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')])];
    const tracer = new SandboxImageTracer(node, silentLogger());

    assert.deepEqual(await tracer.imageIdsOf({ snapshotter: 'overlayfs', key: 'gone' }), []);
    assert.deepEqual(await tracer.imageIdsOf(node.sandboxOn('s', [layer('9')])), []);
  });

  test('each image config is read once, however many sandboxes are traced', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')]), image('b', [layer('2')])];
    const tracer = new SandboxImageTracer(node, silentLogger());

    await Promise.all(
      ['s1', 's2', 's3'].map((k) => tracer.imageIdsOf(node.sandboxOn(k, [layer('2')]))),
    );
    await tracer.imageIdsOf(node.sandboxOn('s4', [layer('1')]));
    assert.equal(node.configReads, 2);
  });

  test('an image pulled after the first trace is learned when a sandbox needs it', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')])];
    const tracer = new SandboxImageTracer(node, silentLogger());
    await tracer.imageIdsOf(node.sandboxOn('s1', [layer('1')]));

    node.images.push(image('c', [layer('3')]));
    assert.deepEqual(await tracer.imageIdsOf(node.sandboxOn('s2', [layer('3')])), [id('c')]);
  });

  test('a config that failed to read is read again on the next pass', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')])];
    node.failing.add(id('a'));
    const tracer = new SandboxImageTracer(node, silentLogger());
    const snapshot = node.sandboxOn('s', [layer('1')]);

    assert.deepEqual(await tracer.imageIdsOf(snapshot), []);
    node.failing.clear();
    assert.deepEqual(await tracer.imageIdsOf(snapshot), [id('a')]);
  });

  test('a garbage config makes that image untraceable, not the others', async () => {
    const node = new FakeNode();
    node.images = [{ id: id('x'), config: Buffer.from('{"rootfs": 5}') }, image('a', [layer('1')])];
    const tracer = new SandboxImageTracer(node, silentLogger());

    assert.deepEqual(await tracer.imageIdsOf(node.sandboxOn('s', [layer('1')])), [id('a')]);
  });

  test('an image its name still leads to, on the same layers, costs one config read', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')]), image('b', [layer('2')]), image('c', [layer('3')])];
    node.names.set('pause:3.9', id('b'));
    const tracer = new SandboxImageTracer(node, silentLogger());

    const ids = await tracer.imageIdsOf(node.sandboxOn('s', [layer('2')]), 'pause:3.9');
    assert.deepEqual(ids, [id('b')]);
    assert.equal(node.configReads, 1);
  });

  test('a name that moved to an image on other layers falls back to every image', async () => {
    const node = new FakeNode();
    node.images = [image('a', [layer('1')]), image('b', [layer('2')])];
    node.names.set('pause:3.9', id('b'));
    const tracer = new SandboxImageTracer(node, silentLogger());

    const ids = await tracer.imageIdsOf(node.sandboxOn('s', [layer('1')]), 'pause:3.9');
    assert.deepEqual(ids, [id('a')]);
  });
});
