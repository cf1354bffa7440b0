import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { endOfLife } from './eol.js';
import { parseOsRelease } from './os-release.js';

describe('parseOsRelease', () => {
  test('reads quoted, unquoted and escaped values and skips comments and junk', () => {
    const fields = parseOsRelease(
      [
        '# comment',
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
        'ID=debian',
        "VERSION_ID='12'",
        'NAME="say \\"hi\\""',
        'not a field',
        'lower=ignored',
      ].join('\n'),
    );
    assert.deepEqual(Object.fromEntries(fields), {
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      ID: 'debian',
      VERSION_ID: '12',
      NAME: 'say "hi"',
    });
  });

  test('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        assert.ok(parseOsRelease(text) instanceof Map);
      }),
    );
  });
});

describe('endOfLife', () => {
  test('judges EOL against the injected time, by major or major.minor per distribution', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.deepEqual(endOfLife('debian', '10', now), { date: '2024-06-30', pastEol: true });
    assert.deepEqual(endOfLife('debian', '12', now), { date: '2028-06-30', pastEol: false });
    assert.deepEqual(endOfLife('alpine', '3.16.9', now), { date: '2024-05-23', pastEol: true });
    assert.deepEqual(endOfLife('ubuntu', '22.04', now), { date: '2027-04-01', pastEol: false });
    assert.deepEqual(endOfLife('rhel', '9.3', now), { date: '2032-05-31', pastEol: false });
    assert.equal(endOfLife('plan9', '4', now), undefined);
  });

  test('knows releases down to Debian 6, Ubuntu 12.04 and Alpine 3.10', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.deepEqual(endOfLife('debian', '7', now), { date: '2018-05-31', pastEol: true });
    assert.deepEqual(endOfLife('ubuntu', '14.04', now), { date: '2019-04-25', pastEol: true });
    assert.deepEqual(endOfLife('alpine', '3.13.12', now), { date: '2022-11-01', pastEol: true });
  });

  test('a release older than every listed one is past EOL by the oldest date', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.deepEqual(endOfLife('alpine', '3.9.6', now), { date: '2021-05-01', pastEol: true });
    assert.deepEqual(endOfLife('debian', '5.0', now), { date: '2016-02-29', pastEol: true });
    assert.deepEqual(endOfLife('centos', '6', now), { date: '2024-06-30', pastEol: true });
    // Unlisted releases between listed ones, or newer, or not numbers, get no verdict.
    assert.equal(endOfLife('ubuntu', '23.10', now), undefined);
    assert.equal(endOfLife('debian', '99', now), undefined);
    assert.equal(endOfLife('alpine', 'edge', now), undefined);
  });

  test('counts the EOL day itself as supported', () => {
    assert.equal(endOfLife('debian', '10', new Date('2024-06-30T23:00:00Z'))?.pastEol, false);
    assert.equal(endOfLife('debian', '10', new Date('2024-07-01T00:00:00Z'))?.pastEol, true);
  });
});
