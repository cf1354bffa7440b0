import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { nearestField } from './config-suggest.js';

const MANAGER = ['runtime', 'logLevel', 'scheduling', 'schedule', 'imageJob', 'nodeFilter'];

describe('nearest known field for a typo', () => {
  const cases: [string, string, string | undefined][] = [
    ['a dropped letter', 'schedulng', 'scheduling'],
    ['swapped letters', 'nodeFitler', 'nodeFilter'],
    ['other case', 'imagejob', 'imageJob'],
    ['a stray letter', 'runtimes', 'runtime'],
    ['a word unlike any field', 'banana', undefined],
    ['a short word far from all', 'x', undefined],
  ];
  for (const [name, key, expected] of cases) {
    test(`${name}: ${key} suggests ${String(expected)}`, () => {
      assert.equal(nearestField(key, MANAGER), expected);
    });
  }

  test('a megabyte-long key gets no suggestion (compared only with fields of near length)', () => {
    // Before fields were filtered by length, this key cost a minute of edit-distance tables.
    assert.equal(nearestField('k'.repeat(1 << 20), MANAGER), undefined);
  });

  test('a suggestion is always one of the known fields, whatever the key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (key) => {
        const found = nearestField(key, MANAGER);
        assert.ok(found === undefined || MANAGER.includes(found));
      }),
    );
  });
});
