import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { printable } from './printable.js';

test('escape sequences and bells are shown escaped instead of reaching the terminal', () => {
  assert.equal(printable('a\u001b]0;PWNED\u0007b\u001b[2J'), 'a\\u001b]0;PWNED\\u0007b\\u001b[2J');
  assert.equal(
    printable('tab\there\nnl\u009bcsi\u007f'),
    'tab\\u0009here\\u000anl\\u009bcsi\\u007f',
  );
});

test('bidi overrides and isolates are shown escaped, so they cannot reorder a line', () => {
  assert.equal(printable('pkg\u202Egnp.exe'), 'pkg\\u202egnp.exe');
  assert.equal(
    printable('a\u2066b\u2069c\u200fd\u061ce\u202a'),
    'a\\u2066b\\u2069c\\u200fd\\u061ce\\u202a',
  );
});

test('zero-width characters are shown escaped, so lookalike names differ visibly', () => {
  assert.equal(printable('ngi\u200bnx:1\u200d\u2060\ufeff'), 'ngi\\u200bnx:1\\u200d\\u2060\\ufeff');
});

test('printable text passes through unchanged, non-ASCII included', () => {
  assert.equal(
    printable('docker.io/library/nginx:1.27 — ünïcode'),
    'docker.io/library/nginx:1.27 — ünïcode',
  );
});

test('no output ever holds a control character', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const hidden =
        // eslint-disable-next-line no-control-regex -- the property is about control characters
        /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/;
      return !hidden.test(printable(s));
    }),
  );
});
