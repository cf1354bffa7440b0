import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  const valid: [string, number][] = [
    ['0', 0],
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['500m', 0.5],
    ['7m', 0.007],
    ['25Mi', 25 * 2 ** 20],
    ['2Gi', 2 * 2 ** 30],
    ['1Ki', 1024],
    ['1k', 1000],
    ['1M', 1e6],
    ['1E', 1e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2e-3', 0.002],
    ['100n', 1e-7],
    ['+1', 1],
    ['-1', -1],
  ];
  for (const [text, value] of valid) {
    test(`reads ${JSON.stringify(text)} as ${value}`, () => {
      const parsed = parseQuantity(text);
      assert.ok(parsed !== undefined && Math.abs(parsed - value) <= Math.abs(value) * 1e-12);
    });
  }

  const invalid = ['', 'Mi', '1 Mi', '1mi', '1MB', '1KiB', '1e', '1.2.3', 'one', '1e1000', '0x10'];
  for (const text of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(parseQuantity(text), undefined);
    });
  }

  test('never throws and returns undefined or a finite number for any string', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const value = parseQuantity(text);
        assert.ok(value === undefined || Number.isFinite(value));
      }),
    );
  });
});
