import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { HarnessError } from './errors.js';
import { buildImage, qualifyReference } from './oci-image.js';

describe('qualifyReference', () => {
  const cases: [string, string][] = [
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.20', 'docker.io/library/alpine:3.20'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/alpine:3', 'docker.io/library/alpine:3'],
    ['registry.eraser.test/app:v1', 'registry.eraser.test/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['127.0.0.1:5000/app@sha256:' + 'a'.repeat(64), '127.0.0.1:5000/app@sha256:' + 'a'.repeat(64)],
  ];
  for (const [input, expected] of cases) {
    test(`qualifies ${input} as ${expected}`, () => {
      assert.equal(qualifyReference(input), expected);
    });
  }
});

describe('buildImage', () => {
  test('the same spec gives the same digests; another seed gives another image', async () => {
    const a1 = await buildImage({ tags: ['a:1'], seed: 'a' });
    const a2 = await buildImage({ tags: ['a:1'], seed: 'a' });
    const b = await buildImage({ tags: ['a:1'], seed: 'b' });

    assert.equal(a1.id, a2.id);
    assert.equal(a1.manifestDigest, a2.manifestDigest);
    assert.notEqual(a1.id, b.id);
    assert.deepEqual(a1.tags, ['docker.io/library/a:1']);
  });

  test('padding grows the image by about the padded size', async () => {
    const small = await buildImage({ seed: 'pad' });
    const big = await buildImage({ seed: 'pad', padBytes: 256 * 1024 });
    assert.ok(big.size - small.size >= 256 * 1024, `grew by ${big.size - small.size}`);
  });

  test('every blob is stored under its own sha256 digest', async () => {
    const image = await buildImage({ files: { '/etc/os-release': 'ID=test\n' } });
    for (const [digest, blob] of image.blobs) {
      assert.equal(digest, `sha256:${createHash('sha256').update(blob).digest('hex')}`);
    }
    assert.ok(image.blobs.has(image.id));
    assert.ok(image.blobs.has(image.manifestDigest));
  });

  for (const bad of ['../escape', 'a/./b', '/', 'a//b']) {
    test(`refuses the unclean file path ${JSON.stringify(bad)}`, async () => {
      await assert.rejects(buildImage({ files: { [bad]: 'x' } }), HarnessError);
    });
  }

  test('refuses negative padding', async () => {
    await assert.rejects(buildImage({ padBytes: -1 }), HarnessError);
  });
});
