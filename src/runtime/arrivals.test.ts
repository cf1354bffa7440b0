import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { arrivalTimes } from './arrivals.js';
import type { ContainerdImage } from './containerd-client.js';
import type { RuntimeImage } from './types.js';

const ID = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

function image(id: string, repoTags: string[], repoDigests: string[] = []): RuntimeImage {
  return { id, repoTags, repoDigests, size: 1, pinned: false };
}

function record(name: string, createdAt?: string): ContainerdImage {
  const target = { mediaType: 'm', digest: 'sha256:t', size: 1, annotations: {} };
  return {
    name,
    labels: {},
    target,
    ...(createdAt === undefined ? {} : { createdAt: new Date(createdAt) }),
  };
}

describe('image arrival times from containerd records', () => {
  test('an image arrived when the first record naming it was written', () => {
    const images = [image(ID, ['docker.io/library/a:1', 'docker.io/library/a:2'])];
    const records = [
      record('docker.io/library/a:2', '2026-12-01T00:00:00Z'),
      record(ID, '2026-11-01T00:00:00Z'),
      record('docker.io/library/a:1', '2026-11-15T00:00:00Z'),
    ];
    assert.deepEqual(arrivalTimes(images, records).get(ID), new Date('2026-11-01T00:00:00Z'));
  });

  test('digest records count as names of the image', () => {
    const digestRef = `registry.test/a@sha256:${'c'.repeat(64)}`;
    const images = [image(ID, [], [digestRef])];
    const records = [record(digestRef, '2026-10-01T00:00:00Z')];
    assert.deepEqual(arrivalTimes(images, records).get(ID), new Date('2026-10-01T00:00:00Z'));
  });

  test('an image with no dated record has no arrival time', () => {
    const images = [image(ID, ['docker.io/library/a:1']), image(OTHER, ['docker.io/library/b:1'])];
    const records = [
      record('docker.io/library/a:1'),
      record('docker.io/library/c:1', '2026-01-01'),
    ];
    const out = arrivalTimes(images, records);
    assert.equal(out.has(ID), false);
    assert.equal(out.has(OTHER), false);
  });
});
