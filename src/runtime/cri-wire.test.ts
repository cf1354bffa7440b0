import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  configuredSandboxImageFromInfo,
  imageOrUndefined,
  sandboxImageFromInfo,
  sandboxSnapshotFromInfo,
  toContainerState,
  toRuntimeContainer,
  toRuntimeSandbox,
  type WireImage,
} from './cri-wire.js';

const wireImage = (over: Partial<WireImage> = {}): WireImage => ({
  id: 'sha256:' + 'a'.repeat(64),
  repoTags: ['docker.io/library/alpine:3.20'],
  repoDigests: [],
  size: 42,
  username: '',
  pinned: false,
  ...over,
});

describe('imageOrUndefined', () => {
  test('treats a missing image as not present', () => {
    assert.equal(imageOrUndefined(null), undefined);
  });

  test('treats an empty image (containerd answer for unknown refs) as not present', () => {
    assert.equal(imageOrUndefined(wireImage({ id: '', repoTags: [] })), undefined);
  });

  test('keeps id, tags, digests, size and pinned of a present image', () => {
    assert.deepEqual(imageOrUndefined(wireImage({ pinned: true })), {
      id: 'sha256:' + 'a'.repeat(64),
      repoTags: ['docker.io/library/alpine:3.20'],
      repoDigests: [],
      size: 42,
      pinned: true,
    });
  });
});

describe('container and sandbox states', () => {
  test('maps every CRI container state and treats unknown values as unknown', () => {
    assert.equal(toContainerState('CONTAINER_CREATED'), 'created');
    assert.equal(toContainerState('CONTAINER_RUNNING'), 'running');
    assert.equal(toContainerState('CONTAINER_EXITED'), 'exited');
    assert.equal(toContainerState('CONTAINER_UNKNOWN'), 'unknown');
    assert.equal(toContainerState('7'), 'unknown');
    assert.equal(toContainerState('__proto__'), 'unknown');
  });

  test('a container without metadata or image spec still maps with empty strings', () => {
    const mapped = toRuntimeContainer({
      id: 'c1',
      podSandboxId: 'p1',
      metadata: null,
      image: null,
      imageRef: 'sha256:x',
      state: 'CONTAINER_RUNNING',
      createdAt: 1,
      labels: {},
    });
    assert.deepEqual(mapped, {
      id: 'c1',
      name: '',
      podSandboxId: 'p1',
      image: '',
      imageRef: 'sha256:x',
      state: 'running',
    });
  });

  test('a sandbox gets an image field only when one is known', () => {
    const wire = { id: 'p', metadata: null, state: 'SANDBOX_NOTREADY', createdAt: 0, labels: {} };
    const none = { imageIds: [] };
    assert.equal('image' in toRuntimeSandbox(wire, none), false);
    assert.equal(toRuntimeSandbox(wire, { image: 'pause:3.9', imageIds: [] }).image, 'pause:3.9');
    assert.equal(toRuntimeSandbox({ ...wire, state: 'SANDBOX_READY' }, none).state, 'ready');
  });

  test('a sandbox carries the image IDs its layers were traced to', () => {
    const wire = { id: 'p', metadata: null, state: 'SANDBOX_READY', createdAt: 0, labels: {} };
    const sandbox = toRuntimeSandbox(wire, { image: 'pause:3.9', imageIds: ['sha256:a'] });
    assert.deepEqual(sandbox.imageIds, ['sha256:a']);
  });
});

describe('sandbox snapshot from verbose info', () => {
  test('reads snapshotter and snapshotKey of containerd sandbox info', () => {
    const info = { info: JSON.stringify({ snapshotter: 'overlayfs', snapshotKey: 'abc' }) };
    assert.deepEqual(sandboxSnapshotFromInfo(info), { snapshotter: 'overlayfs', key: 'abc' });
  });

  const partial: [string, Record<string, string>][] = [
    ['no info document', {}],
    ['info that is not JSON', { info: '{"snapshotter":' }],
    ['a snapshotter without a key', { info: JSON.stringify({ snapshotter: 'overlayfs' }) }],
    ['a key that is not a string', { info: JSON.stringify({ snapshotter: 'o', snapshotKey: 5 }) }],
    ['an empty key', { info: JSON.stringify({ snapshotter: 'o', snapshotKey: ' ' }) }],
  ];
  for (const [name, info] of partial) {
    test(`${name} gives no snapshot`, () => {
      assert.equal(sandboxSnapshotFromInfo(info), undefined);
    });
  }
});

describe('sandbox image from verbose info', () => {
  test('reads the image field of containerd sandbox info', () => {
    const info = { info: JSON.stringify({ pid: 1, image: 'registry.k8s.io/pause:3.9' }) };
    assert.equal(sandboxImageFromInfo(info), 'registry.k8s.io/pause:3.9');
  });

  test('reads sandboxImage of containerd CRI config in Status info', () => {
    const info = { config: JSON.stringify({ sandboxImage: 'registry.k8s.io/pause:3.6' }) };
    assert.equal(configuredSandboxImageFromInfo(info), 'registry.k8s.io/pause:3.6');
  });

  const hostile: [string, Record<string, string>][] = [
    ['no info key', {}],
    ['invalid JSON', { info: '{"image":' }],
    ['JSON null', { info: 'null' }],
    ['a JSON array', { info: '["image"]' }],
    ['a JSON string', { info: '"registry.k8s.io/pause:3.9"' }],
    ['a numeric image', { info: '{"image": 3}' }],
    ['an object image', { info: '{"image": {"name": "x"}}' }],
    ['an empty image', { info: '{"image": "  "}' }],
  ];
  for (const [what, info] of hostile) {
    test(`yields no image for ${what}`, () => {
      assert.equal(sandboxImageFromInfo(info), undefined);
    });
  }

  test('never throws on arbitrary info text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const image = sandboxImageFromInfo({ info: text });
        assert.ok(image === undefined || typeof image === 'string');
        const configured = configuredSandboxImageFromInfo({ config: text });
        assert.ok(configured === undefined || typeof configured === 'string');
      }),
      { numRuns: 1000 },
    );
  });
});
