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

  // Short keys allow one edit only: enough for the usual slip, too little to turn one short
  // word into another of a different meaning.
  const short: [string, string, readonly string[], string | undefined][] = [
    ['swapped letters in a four-letter key', 'corn', ['repeatInterval', 'cron'], 'cron'],
    ['a dropped letter in a four-letter key', 'crn', ['repeatInterval', 'cron'], 'cron'],
    ['a swapped pair in a three-letter key', 'tga', ['repo', 'tag'], 'tag'],
    ['two edits from a three-letter key', 'mme2', ['mem', 'cpu'], undefined],
    ['two edits from a four-letter key', 'icon', ['cron'], undefined],
    ['a two-letter word', 'at', ['repeatInterval', 'beginImmediately', 'cron'], undefined],
  ];
  for (const [name, key, known, expected] of short) {
    test(`${name}: ${key} suggests ${String(expected)}`, () => {
      assert.equal(nearestField(key, known), expected);
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

  // Eraser's keys at each level (its v1alpha1-3 types and controller-runtime sections, side by
  // side as they were in Eraser's first config): none may look like a typo of another, or a
  // key one version writes could be refused as a misspelling by a reader of another.
  const ERASER_LEVELS: Record<string, readonly string[]> = {
    'the top and manager sections': [
      ...['apiVersion', 'kind', 'manager', 'components', 'health', 'metrics', 'webhook'],
      ...['leaderElection', 'cacheNamespace', 'gracefulShutDown', 'controller', 'syncPeriod'],
      ...['runtime', 'otlpEndpoint', 'logLevel', 'scheduling', 'profile', 'imageJob'],
      ...['pullSecrets', 'priorityClassName', 'additionalPodLabels', 'nodeFilter'],
    ],
    components: ['collector', 'scanner', 'remover', 'eraser'],
    'a component': ['enabled', 'image', 'request', 'limit', 'config'],
    'the scanner settings': [
      ...['cacheDir', 'dbRepo', 'deleteFailedImages', 'deleteEOLImages', 'vulnerabilities'],
      'timeout',
    ],
    vulnerabilities: ['ignoreUnfixed', 'types', 'securityChecks', 'severities', 'ignoredStatuses'],
  };
  for (const [level, keys] of Object.entries(ERASER_LEVELS)) {
    test(`no key Eraser writes in ${level} is a near miss of another there`, () => {
      const nearMisses = keys.flatMap((key) => {
        const found = nearestField(
          key,
          keys.filter((k) => k !== key),
        );
        return found === undefined ? [] : [`${key} -> ${found}`];
      });
      assert.deepEqual(nearMisses, []);
    });
  }
});
