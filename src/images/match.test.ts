import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { RuntimeImage } from '../runtime/types.js';
import { AmbiguousImageError, findImages, matchImage, type MatchResult } from './match.js';
import { parseReference } from './reference.js';

const hex = (c: string): string => c.repeat(64);
const d = (c: string): string => `sha256:${hex(c)}`;

function image(id: string, repoTags: string[], repoDigests: string[] = []): RuntimeImage {
  return { id, repoTags, repoDigests, size: 1, pinned: false };
}

const ALPINE = image(
  d('a'),
  ['docker.io/library/alpine:3.20', 'docker.io/library/alpine:latest', 'quay.io/mirror/alpine:3'],
  [`docker.io/library/alpine@${d('1')}`, `quay.io/mirror/alpine@${d('2')}`],
);
const DIGEST_ONLY = image(d('b'), [], [`docker.io/library/nginx@${d('3')}`]);
// Docker-style runtimes report familiar names; CRI-O reports IDs without `sha256:`.
const FAMILIAR = image(hex('c'), ['redis:7', 'bitnami/redis:7.2'], [`redis@${d('4')}`]);
const LOCAL = image(d('e'), ['localhost:5000/app:v1', '[::1]:5000/app:v1'], []);
const ODD = image(d('f'), ['<none>:<none>'], ['<none>@<none>']);
const TWIN_A = image(`sha256:abcdef012345${'0'.repeat(52)}`, ['twin:a']);
const TWIN_B = image(`sha256:abcdef012345${'1'.repeat(52)}`, ['twin:b']);
const IMAGES = [ALPINE, DIGEST_ONLY, FAMILIAR, LOCAL, ODD, TWIN_A, TWIN_B];

describe('matchImage', () => {
  const cases: readonly [string, string, RuntimeImage, MatchResult | undefined][] = [
    ['a familiar tag', 'alpine:3.20', ALPINE, { by: 'tag', tag: 'docker.io/library/alpine:3.20' }],
    [
      'a bare name as :latest',
      'alpine',
      ALPINE,
      { by: 'tag', tag: 'docker.io/library/alpine:latest' },
    ],
    [
      'another registry of the same image',
      'quay.io/mirror/alpine:3',
      ALPINE,
      { by: 'tag', tag: 'quay.io/mirror/alpine:3' },
    ],
    [
      'docker.io/alpine via library/',
      'docker.io/alpine:3.20',
      ALPINE,
      { by: 'tag', tag: 'docker.io/library/alpine:3.20' },
    ],
    [
      'a repository digest',
      `alpine@${d('1')}`,
      ALPINE,
      { by: 'digest', digest: `docker.io/library/alpine@${d('1')}` },
    ],
    [
      'the digest when tag and digest are given',
      `alpine:nope@${d('1')}`,
      ALPINE,
      { by: 'digest', digest: `docker.io/library/alpine@${d('1')}` },
    ],
    ['the full ID', d('a'), ALPINE, { by: 'id' }],
    ['the bare 64-hex ID', hex('a'), ALPINE, { by: 'id' }],
    ['a short ID', 'aaaaaaaaaaaa', ALPINE, { by: 'id' }],
    [
      'a digest-only image by digest',
      `nginx@${d('3')}`,
      DIGEST_ONLY,
      { by: 'digest', digest: `docker.io/library/nginx@${d('3')}` },
    ],
    [
      'a familiar runtime tag',
      'docker.io/library/redis:7',
      FAMILIAR,
      { by: 'tag', tag: 'redis:7' },
    ],
    [
      'a familiar runtime digest',
      `redis@${d('4')}`,
      FAMILIAR,
      { by: 'digest', digest: `redis@${d('4')}` },
    ],
    ['a CRI-O style bare ID', d('c'), FAMILIAR, { by: 'id' }],
    [
      'a registry with port',
      'localhost:5000/app:v1',
      LOCAL,
      { by: 'tag', tag: 'localhost:5000/app:v1' },
    ],
    ['an IPv6 registry', '[::1]:5000/app:v1', LOCAL, { by: 'tag', tag: '[::1]:5000/app:v1' }],
  ];
  for (const [what, entry, img, expected] of cases) {
    test(`matches ${what}`, () => {
      assert.deepEqual(matchImage(parseReference(entry), img), expected);
    });
  }

  const misses: readonly [string, string, RuntimeImage][] = [
    ['an absent tag', 'alpine:3.19', ALPINE],
    ['a bare name when the image has no latest tag', 'redis', FAMILIAR],
    ['the right tag on the wrong registry', 'ghcr.io/library/alpine:3.20', ALPINE],
    ['the same path on another registry', 'quay.io/library/alpine:3.20', ALPINE],
    ['a digest of another repository', `busybox@${d('1')}`, ALPINE],
    ['a tag whose digest is wrong', `alpine:3.20@${d('9')}`, ALPINE],
    ['a digest-only image by name', 'nginx', DIGEST_ONLY],
    ['an image ID as digest', `alpine@${d('a')}`, ALPINE],
    ['a manifest digest as ID', d('1'), ALPINE],
    ['another ID', d('9'), ALPINE],
    ['a port-less registry for a ported one', 'localhost/app:v1', LOCAL],
    ['unparseable runtime tags', 'none:none', ODD],
  ];
  for (const [what, entry, img] of misses) {
    test(`does not match ${what}`, () => {
      assert.equal(matchImage(parseReference(entry), img), undefined);
    });
  }
});

describe('findImages', () => {
  test('returns every image a tag names, with how it matched', () => {
    const result = findImages(parseReference('alpine:latest'), IMAGES);
    assert.deepEqual(result, {
      ambiguous: false,
      matches: [{ image: ALPINE, match: { by: 'tag', tag: 'docker.io/library/alpine:latest' } }],
    });
  });

  test('returns no matches for an image that is not on the node', () => {
    assert.deepEqual(findImages(parseReference('busybox'), IMAGES), {
      ambiguous: false,
      matches: [],
    });
  });

  test('resolves a short ID that names exactly one image', () => {
    const result = findImages(parseReference('abcdef0123450'), IMAGES);
    assert.equal(result.ambiguous, false);
    assert.deepEqual(
      result.matches.map((m) => m.image),
      [TWIN_A],
    );
  });

  test('refuses a short ID that names several images instead of picking one', () => {
    const result = findImages(parseReference('abcdef012345'), IMAGES);
    assert.equal(result.ambiguous, true);
    assert.deepEqual(result.candidates, [TWIN_A, TWIN_B]);
    assert.ok(result.error instanceof AmbiguousImageError);
    assert.equal(result.error.code, 'AMBIGUOUS_IMAGE_ID');
    assert.deepEqual(result.error.context['candidates'], [TWIN_A.id, TWIN_B.id]);
    assert.match(result.error.message, /abcdef012345.*2 images/);
  });

  test('does not call a short ID ambiguous when the runtime lists one image twice', () => {
    const result = findImages(parseReference('abcdef012345'), [TWIN_A, TWIN_A]);
    assert.equal(result.ambiguous, false);
  });

  test('finds the same image for every way of naming it', () => {
    const names = [
      'alpine:3.20',
      `alpine@${d('1')}`,
      d('a'),
      'aaaaaaaaaaaaa',
      'quay.io/mirror/alpine:3',
    ];
    for (const name of names) {
      const result = findImages(parseReference(name), IMAGES);
      assert.deepEqual(result.ambiguous ? [] : result.matches.map((m) => m.image), [ALPINE], name);
    }
  });
});
