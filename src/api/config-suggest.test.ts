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

  test('a suggestion is always one of the known fields, whatever the key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (key) => {
        const found = nearestField(key, MANAGER);
        assert.ok(found === undefined || MANAGER.includes(found));
      }),
    );
  });
});
