import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { ApiError } from './errors.js';
import { jsonPatch, mergePatch } from './patch.js';

describe('JSON merge patch (RFC 7386)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) {
    const [p, t, w] = [patch, target, want].map((v) => JSON.stringify(v));
    test(`${p ?? ''} on ${t ?? ''} gives ${w ?? ''}`, () => {
      assert.deepEqual(mergePatch(target, patch), want);
    });
  }

  test('does not modify its inputs', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: 2 } });
    assert.deepEqual(target, { a: { b: 1 } });
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: 'x', 'k/y': 'z' } }, list: [1, 2] };

  test('applies add, replace, remove, move, copy and test in order', () => {
    const out = jsonPatch(doc, [
      { op: 'test', path: '/list/0', value: 1 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'replace', path: '/metadata/labels/a', value: 'y' },
      { op: 'remove', path: '/metadata/labels/k~1y' },
      { op: 'copy', from: '/list', path: '/copy' },
      { op: 'move', from: '/metadata/labels', path: '/labels' },
    ]);
    assert.deepEqual(out, {
      metadata: {},
      list: [0, 1, 2, 3],
      copy: [0, 1, 2, 3],
      labels: { a: 'y' },
    });
    assert.deepEqual(doc.list, [1, 2], 'the input is untouched');
  });

  const unapplicable: [string, unknown[]][] = [
    ['a failing test', [{ op: 'test', path: '/list/0', value: 9 }]],
    ['removing a missing key', [{ op: 'remove', path: '/nope' }]],
    ['replacing a missing key', [{ op: 'replace', path: '/nope', value: 1 }]],
    ['an index past the end', [{ op: 'add', path: '/list/5', value: 1 }]],
    ['a path under a scalar', [{ op: 'add', path: '/list/0/x', value: 1 }]],
  ];
  for (const [what, ops] of unapplicable) {
    test(`${what} is 422`, () => {
      assert.throws(
        () => jsonPatch(doc, ops),
        (e: unknown) => e instanceof ApiError && e.httpCode === 422,
      );
    });
  }

  const malformed: [string, unknown][] = [
    ['a non-array patch', { op: 'add' }],
    ['an unknown op', [{ op: 'frob', path: '/a' }]],
    ['a path without a leading slash', [{ op: 'remove', path: 'a' }]],
    ['an add without value', [{ op: 'add', path: '/a' }]],
  ];
  for (const [what, patch] of malformed) {
    test(`${what} is 400`, () => {
      assert.throws(
        () => jsonPatch(doc, patch),
        (e: unknown) => e instanceof ApiError && e.httpCode === 400,
      );
    });
  }

  test('arbitrary JSON as a patch yields a result or a 400/422 ApiError, nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        try {
          jsonPatch(target, patch);
          mergePatch(target, patch);
        } catch (e: unknown) {
          return e instanceof ApiError && (e.httpCode === 400 || e.httpCode === 422);
        }
        return true;
      }),
    );
  });

  test('a __proto__ key in either patch format becomes an own key, never the prototype', () => {
    const viaJson = jsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]);
    const viaMerge = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}'));
    for (const out of [viaJson, viaMerge] as Record<string, unknown>[]) {
      assert.equal(Object.getPrototypeOf(out), Object.prototype);
      assert.deepEqual(Object.keys(out), ['__proto__']);
      assert.equal((out as { polluted?: unknown }).polluted, undefined);
    }
  });

  test('an add followed by a test of the same value always passes', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (key, value) => {
        const path = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const out = jsonPatch({}, [
          { op: 'add', path, value },
          { op: 'test', path, value },
        ]);
        assert.deepEqual(out, { [key]: value });
      }),
    );
  });
});
