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

  test('counts the EOL day itself as supported', () => {
    assert.equal(endOfLife('debian', '10', new Date('2024-06-30T23:00:00Z'))?.pastEol, false);
    assert.equal(endOfLife('debian', '10', new Date('2024-07-01T00:00:00Z'))?.pastEol, true);
  });
});
