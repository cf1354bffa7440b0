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

function record(name: string, createdAt?: string, updatedAt?: string): ContainerdImage {
  const target = { mediaType: 'm', digest: 'sha256:t', size: 1, annotations: {} };
  return {
    name,
    labels: {},
    target,
    ...(createdAt === undefined ? {} : { createdAt: new Date(createdAt) }),
    ...(updatedAt === undefined ? {} : { updatedAt: new Date(updatedAt) }),
  };
}

describe('image arrival times from containerd records', () => {
  test('an image arrived when the record named by its ID was created', () => {
    const images = [image(ID, ['docker.io/library/a:1'])];
    const records = [
      record('docker.io/library/a:1', '2026-10-01T00:00:00Z', '2026-12-01T00:00:00Z'),
      record(ID, '2026-11-01T00:00:00Z', '2026-11-20T00:00:00Z'),
    ];
    assert.deepEqual(arrivalTimes(images, records).get(ID), new Date('2026-11-01T00:00:00Z'));
  });

  test('a tag moved to a new image does not lend it the old pull time', () => {
    // The tag record was created for the old image and updated when the new one took it.
    const images = [image(ID, ['docker.io/library/app:latest'])];
    const records = [
      record('docker.io/library/app:latest', '2026-01-01T00:00:00Z', '2026-12-04T11:59:00Z'),
    ];
    assert.deepEqual(arrivalTimes(images, records).get(ID), new Date('2026-12-04T11:59:00Z'));
  });

  test('without an ID record, the latest change of any name dates the image', () => {
    const digestRef = `registry.test/a@sha256:${'c'.repeat(64)}`;
    const images = [image(ID, ['registry.test/a:1'], [digestRef])];
    const records = [
      record(digestRef, '2026-10-01T00:00:00Z'),
      record('registry.test/a:1', '2026-09-01T00:00:00Z', '2026-10-15T00:00:00Z'),
    ];
    assert.deepEqual(arrivalTimes(images, records).get(ID), new Date('2026-10-15T00:00:00Z'));
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
