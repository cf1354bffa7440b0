import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { RuntimeImage, RuntimeSandbox } from '../runtime/types.js';
import { UsageIndex } from './usage.js';

const PAUSE = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

function image(id: string, repoTags: string[]): RuntimeImage {
  return { id, repoTags, repoDigests: [], size: 1, pinned: false };
}

function sandbox(extra: Partial<RuntimeSandbox>): RuntimeSandbox {
  return { id: 'sb1', name: 'pod', namespace: 'ns', state: 'ready', ...extra };
}

describe('image usage by pod sandboxes', () => {
  test('a sandbox uses the image its name resolves to', () => {
    const images = [image(PAUSE, ['registry.k8s.io/pause:3.9'])];
    const usage = new UsageIndex(images, [], [sandbox({ image: 'registry.k8s.io/pause:3.9' })]);
    assert.deepEqual(
      usage.usersOf(PAUSE).map((u) => u.id),
      ['sb1'],
    );
    assert.deepEqual(usage.unresolvedSandboxes, []);
  });

  test('a sandbox whose name is gone uses the images its layers were traced to', () => {
    const images = [image(PAUSE, []), image(OTHER, [])];
    const sb = sandbox({ image: 'registry.k8s.io/pause:3.9', imageIds: [PAUSE] });
    const usage = new UsageIndex(images, [], [sb]);
    assert.deepEqual(
      usage.usersOf(PAUSE).map((u) => u.id),
      ['sb1'],
    );
    assert.deepEqual(usage.usersOf(OTHER), []);
    assert.deepEqual(usage.unresolvedSandboxes, []);
  });

  test('a sandbox whose name moved uses both the traced image and the named one', () => {
    const images = [image(PAUSE, []), image(OTHER, ['registry.k8s.io/pause:3.9'])];
    const sb = sandbox({ image: 'registry.k8s.io/pause:3.9', imageIds: [PAUSE] });
    const usage = new UsageIndex(images, [], [sb]);
    assert.equal(usage.usersOf(PAUSE).length, 1);
    assert.equal(usage.usersOf(OTHER).length, 1);
  });

  test('a sandbox found neither by name nor by layers is reported as unresolved', () => {
    const images = [image(OTHER, [])];
    const sb = sandbox({ image: 'registry.k8s.io/pause:3.9', imageIds: [] });
    const usage = new UsageIndex(images, [], [sb]);
    assert.deepEqual(
      usage.unresolvedSandboxes.map((s) => s.id),
      ['sb1'],
    );
  });
});
