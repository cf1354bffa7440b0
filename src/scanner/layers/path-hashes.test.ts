import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PathHashes, PathHashesBuilder, byKey, pathKey } from './path-hashes.js';

const paths = fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 200 });

describe('PathHashes', () => {
  test('holds every path added, once, and not paths never added', () => {
    fc.assert(
      fc.property(paths, paths, (added, others) => {
        const set = PathHashes.of(added);
        assert.equal(set.size, new Set(added).size);
        for (const path of added) assert.ok(set.has(pathKey(path)), path);
        for (const path of others.filter((p) => !added.includes(p))) {
          assert.equal(set.has(pathKey(path)), false, path);
        }
      }),
    );
  });

  test('matching finds exactly the members, by walk (many asked) or by lookup (few)', () => {
    const members = Array.from({ length: 400 }, (_, i) => `m/${i}`);
    const set = PathHashes.of(members);
    fc.assert(
      fc.property(fc.array(fc.nat(800), { maxLength: 300 }), (picks) => {
        const asked = [...new Set(picks)].map((n) => ({ path: `m/${n}`, key: pathKey(`m/${n}`) }));
        const found = set.matching(asked.sort(byKey)).map((item) => item.path);
        const expected = asked.filter((item) => Number(item.path.slice(2)) < 400);
        assert.deepEqual(
          found,
          expected.map((item) => item.path),
        );
      }),
    );
  });

  test('a builder grows past its first allocation and keeps what it had', () => {
    const builder = new PathHashesBuilder();
    const many = Array.from({ length: 5000 }, (_, i) => `usr/share/doc/pkg${i}/copyright`);
    for (const path of many) builder.add(path);
    const set = builder.build();
    assert.equal(set.size, many.length);
    assert.ok(many.every((path) => set.has(pathKey(path))));
  });

  test('round-trips through its byte form', () => {
    fc.assert(
      fc.property(paths, (added) => {
        const set = PathHashes.of(added);
        assert.deepStrictEqual(PathHashes.fromBuffer(set.toBuffer()), set);
      }),
    );
  });

  test('refuses bytes that are not sorted, repeat-free 8-byte values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (data) => {
        const bytes = Buffer.from(data);
        const read = PathHashes.fromBuffer(bytes);
        if (read !== undefined) assert.deepEqual(read.toBuffer(), bytes);
      }),
    );
    const two = PathHashes.of(['a', 'b']).toBuffer();
    const swapped = Buffer.concat([two.subarray(8), two.subarray(0, 8)]);
    const repeated = Buffer.concat([two.subarray(0, 8), two.subarray(0, 8)]);
    for (const bad of [swapped, repeated, two.subarray(0, 7)]) {
      assert.equal(PathHashes.fromBuffer(bad), undefined);
    }
  });

  test('hashes are stable values, the same on every run and machine', () => {
    assert.deepEqual(pathKey('var/lib/dpkg'), pathKey(['var', 'lib', 'dpkg'].join('/')));
    assert.equal(
      PathHashes.of(['var/lib/dpkg', 'usr/lib/node_modules/x']).toBuffer().toString('hex'),
      STABLE_BYTES,
    );
  });
});

/** Recorded once: a change here makes every cached layer read wrong, so bump CACHE_FORMAT. */
const STABLE_BYTES = '4865038b29578779a6c995cfd2824e17';
