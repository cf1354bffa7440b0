import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { ApiError } from './errors.js';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KubeObject } from './types.js';

function withLabels(labels: Record<string, string>): KubeObject {
  return { metadata: { name: 'x', labels } };
}

describe('label selectors', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['', {}, true],
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['tier in (a, b)', { tier: 'b' }, true],
    ['tier in (a,b)', {}, false],
    ['tier notin (a,b)', {}, true],
    ['tier notin (a,b)', { tier: 'a' }, false],
    ['eraser.sh/exclude.list', { 'eraser.sh/exclude.list': 'true' }, true],
    ['!eraser.sh/exclude.list', { 'eraser.sh/exclude.list': 'true' }, false],
    ['app=web,tier in (a),!debug', { app: 'web', tier: 'a' }, true],
    ['app=web, !debug', { app: 'web', debug: '' }, false],
    ['gen>3', { gen: '4' }, true],
    ['gen<3', { gen: 'x' }, false],
    ['app=', { app: '' }, true],
  ];
  for (const [selector, labels, want] of cases) {
    test(`"${selector}" ${want ? 'selects' : 'rejects'} ${JSON.stringify(labels)}`, () => {
      assert.equal(labelsMatch(parseLabelSelector(selector), withLabels(labels)), want);
    });
  }

  for (const bad of ['app in ()', 'app in (a', '=x', 'a b', 'bad key!=1', 'a=b c', 'x>y', '-a=b']) {
    test(`"${bad}" is refused with 400 Bad Request`, () => {
      assert.throws(
        () => parseLabelSelector(bad),
        (e: unknown) => e instanceof ApiError && e.httpCode === 400,
      );
    });
  }

  test('any input either parses or fails with a 400 ApiError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab=!,() inotx/.-_>'.split('')) }), (s) => {
        try {
          labelsMatch(parseLabelSelector(s), withLabels({ a: 'b' }));
        } catch (e: unknown) {
          return e instanceof ApiError && e.httpCode === 400;
        }
        return true;
      }),
    );
  });
});

describe('field selectors', () => {
  const pod: KubeObject = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'n1', unschedulable: false },
    status: { phase: 'Running' },
  };
  const allowed = [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'status.phase',
    'spec.unschedulable',
  ];
  const cases: [string, boolean][] = [
    ['spec.nodeName=n1', true],
    ['spec.nodeName==n1,status.phase!=Failed', true],
    ['metadata.namespace!=ns', false],
    ['spec.unschedulable=false', true],
    ['status.phase=', false],
  ];
  for (const [selector, want] of cases) {
    test(`"${selector}" ${want ? 'selects' : 'rejects'} a running pod on n1`, () => {
      assert.equal(fieldsMatch(parseFieldSelector(selector, allowed), pod), want);
    });
  }

  test('an escaped comma belongs to the value', () => {
    assert.deepEqual(parseFieldSelector('metadata.name=a\\,b', allowed), [
      { field: 'metadata.name', operator: '=', value: 'a,b' },
    ]);
  });

  test('unknown fields and malformed terms are 400 Bad Request', () => {
    for (const bad of ['spec.foo=1', 'nodeName', '=x']) {
      assert.throws(
        () => parseFieldSelector(bad, allowed),
        (e: unknown) => e instanceof ApiError && e.httpCode === 400,
      );
    }
  });

  test('any input either parses or fails with a 400 ApiError', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseFieldSelector(s, allowed);
        } catch (e: unknown) {
          return e instanceof ApiError && e.httpCode === 400;
        }
        return true;
      }),
    );
  });
});
