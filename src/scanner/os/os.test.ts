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
    assert.deepEqual(endOfLife('ubuntu', '22.04', now), { date: '2027-06-01', pastEol: false });
    assert.deepEqual(endOfLife('rhel', '9.3', now), { date: '2032-05-31', pastEol: false });
    assert.equal(endOfLife('plan9', '4', now), undefined);
  });

  test('knows releases down to Debian 4, Ubuntu 12.04 and Alpine 3.10', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.deepEqual(endOfLife('debian', '7', now), { date: '2018-05-31', pastEol: true });
    assert.deepEqual(endOfLife('debian', '4.0', now), { date: '2010-02-15', pastEol: true });
    assert.deepEqual(endOfLife('ubuntu', '14.04', now), { date: '2019-04-25', pastEol: true });
    assert.deepEqual(endOfLife('alpine', '3.13.12', now), { date: '2022-11-01', pastEol: true });
  });

  test('a release older than every listed one is past EOL by the oldest date', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.deepEqual(endOfLife('alpine', '3.9.6', now), { date: '2021-05-01', pastEol: true });
    assert.deepEqual(endOfLife('debian', '3.1', now), { date: '2010-02-15', pastEol: true });
    assert.deepEqual(endOfLife('centos', '5', now), { date: '2020-11-30', pastEol: true });
    // Unlisted releases between listed ones, or newer, or not numbers, get no verdict.
    assert.equal(endOfLife('amzn', '2016.09', now), undefined);
    assert.equal(endOfLife('debian', '99', now), undefined);
    assert.equal(endOfLife('alpine', 'edge', now), undefined);
  });

  test('knows the releases current on 2026-12-04 and which of them have ended', () => {
    const now = new Date('2026-12-04T12:00:00Z');
    const expected: [string, string, string, boolean][] = [
      ['debian', '11', '2026-08-31', true],
      ['debian', '13', '2030-06-30', false],
      ['ubuntu', '24.04', '2029-05-31', false],
      ['ubuntu', '24.10', '2025-07-10', true],
      ['ubuntu', '25.04', '2026-01-15', true],
      ['ubuntu', '25.10', '2026-07-09', true],
      ['ubuntu', '26.04', '2031-05-29', false],
      ['alpine', '3.20.9', '2026-04-01', true],
      ['alpine', '3.21.6', '2026-11-01', true],
      ['alpine', '3.22.3', '2027-05-01', false],
      ['alpine', '3.23.3', '2027-11-01', false],
      ['rhel', '10.1', '2035-05-31', false],
      ['centos', '9', '2027-05-31', false],
      ['rocky', '10.0', '2035-05-31', false],
      ['almalinux', '10.0', '2035-05-31', false],
      ['ol', '8.10', '2029-07-31', false],
      ['amzn', '2', '2026-06-30', true],
      ['amzn', '2018.03', '2023-12-31', true],
      ['amzn', '2023', '2029-06-30', false],
    ];
    for (const [family, version, date, pastEol] of expected) {
      assert.deepEqual(endOfLife(family, version, now), { date, pastEol }, `${family} ${version}`);
    }
  });

  test('lists Ubuntu interim releases, which end before the LTS release older than them', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.deepEqual(endOfLife('ubuntu', '23.10', now), { date: '2024-07-11', pastEol: true });
    assert.deepEqual(endOfLife('ubuntu', '21.10', now), { date: '2022-07-14', pastEol: true });
    assert.equal(endOfLife('ubuntu', '22.04', now)?.pastEol, false);
  });

  test('dates Debian, Alpine and RHEL-like releases on real days, newer never earlier', () => {
    const families: [string, string[]][] = [
      ['debian', ['4', '5', '6', '7', '8', '9', '10', '11', '12', '13']],
      ['alpine', Array.from({ length: 14 }, (_, i) => `3.${10 + i}`)],
      ['rhel', ['6', '7', '8', '9', '10']],
      ['rocky', ['8', '9', '10']],
      ['almalinux', ['8', '9', '10']],
      ['ol', ['6', '7', '8', '9']],
    ];
    const now = new Date('2025-01-15T00:00:00Z');
    for (const [family, versions] of families) {
      const dates = versions.map((version) => endOfLife(family, version, now)?.date ?? '');
      // A real calendar day: Date would roll 2026-02-30 over into March.
      const real = (date: string) => new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
      assert.ok(
        dates.every((date) => /^\d{4}-\d{2}-\d{2}$/.test(date) && real(date)),
        family,
      );
      assert.deepEqual(dates, [...dates].sort(), family);
    }
  });

  test('an os-release ID or VERSION_ID named after an Object member gets no verdict', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    assert.equal(endOfLife('debian', 'constructor', now), undefined);
    assert.equal(endOfLife('debian', '__proto__', now), undefined);
    assert.equal(endOfLife('constructor', 'name', now), undefined);
    assert.equal(endOfLife('__proto__', 'toString', now), undefined);
  });

  test('any family and version give a listed ISO date or no verdict', () => {
    const now = new Date('2025-01-15T00:00:00Z');
    const family = fc.oneof(fc.constantFrom('debian', 'ubuntu', 'alpine', 'rhel'), fc.string());
    fc.assert(
      fc.property(family, fc.string(), (id, version) => {
        const eol = endOfLife(id, version, now);
        if (eol !== undefined) assert.match(eol.date, /^\d{4}-\d{2}-\d{2}$/u);
      }),
    );
  });

  test('counts the EOL day itself as supported', () => {
    assert.equal(endOfLife('debian', '10', new Date('2024-06-30T23:00:00Z'))?.pastEol, false);
    assert.equal(endOfLife('debian', '10', new Date('2024-07-01T00:00:00Z'))?.pastEol, true);
  });
});
