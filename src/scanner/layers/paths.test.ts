import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ancestorsOf, normaliseEntryPath, whiteoutOf } from './paths.js';

describe('normaliseEntryPath', () => {
  const cases: [string, string | undefined][] = [
    ['./etc/os-release', 'etc/os-release'],
    ['/etc/os-release', 'etc/os-release'],
    ['etc//./dpkg/', 'etc/dpkg'],
    ['./', ''],
    ['../etc/passwd', undefined],
    ['usr/../../etc', undefined],
  ];
  for (const [raw, expected] of cases) {
    test(`turns ${JSON.stringify(raw)} into ${JSON.stringify(expected)}`, () => {
      assert.equal(normaliseEntryPath(raw), expected);
    });
  }

  test('never yields a leading slash, an empty segment or a .. segment', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '.', '..', '', 'b.c', '.wh.x')), (parts) => {
        const path = normaliseEntryPath(parts.join('/'));
        if (path === undefined || path === '') return;
        assert.ok(path.split('/').every((p) => p !== '' && p !== '.' && p !== '..'));
      }),
    );
  });
});

describe('whiteoutOf', () => {
  test('reads plain and opaque whiteouts and ignores aufs bookkeeping names', () => {
    assert.deepEqual(whiteoutOf('var/lib/.wh.dpkg'), { kind: 'whiteout', hidden: 'var/lib/dpkg' });
    assert.deepEqual(whiteoutOf('.wh.etc'), { kind: 'whiteout', hidden: 'etc' });
    assert.deepEqual(whiteoutOf('usr/lib/.wh..wh..opq'), { kind: 'opaque', dir: 'usr/lib' });
    assert.deepEqual(whiteoutOf('.wh..wh.plnk'), { kind: 'none' });
    assert.deepEqual(whiteoutOf('etc/passwd'), { kind: 'none' });
  });
});

test('ancestorsOf lists every folder up to the root', () => {
  assert.deepEqual(ancestorsOf('a/b/c'), ['a/b', 'a', '']);
  assert.deepEqual(ancestorsOf('a'), ['']);
});
