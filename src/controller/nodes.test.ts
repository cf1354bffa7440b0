import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { NodeFilterConfig } from '../api/config.js';
import type { NodeInfo } from './kube/objects.js';
import { planNodes, selectorMatches } from './nodes.js';

function node(name: string, labels: Record<string, string> = {}): NodeInfo {
  return { name, uid: `uid-${name}`, labels: { 'kubernetes.io/os': 'linux', ...labels } };
}

const DEFAULT_FILTER: NodeFilterConfig = {
  type: 'exclude',
  selectors: ['eraser.sh/cleanup.filter', 'kubernetes.io/os=windows'],
};

describe('node filter', () => {
  test('a key selector matches any value of its label, key=value only that value', () => {
    assert.equal(selectorMatches('team', { team: '' }), true);
    assert.equal(selectorMatches('team', { other: 'x' }), false);
    assert.equal(selectorMatches('team=a', { team: 'a' }), true);
    assert.equal(selectorMatches('team=a', { team: 'b' }), false);
    assert.equal(selectorMatches('team==a', { team: 'a' }), true);
  });

  test('the default exclude filter skips labelled and Windows nodes and keeps the rest', () => {
    const plan = planNodes(
      [
        node('b'),
        node('a'),
        node('skip-me', { 'eraser.sh/cleanup.filter': 'true' }),
        node('win', { 'kubernetes.io/os': 'windows' }),
      ],
      DEFAULT_FILTER,
    );
    assert.deepEqual(plan.targets, ['a', 'b']);
    assert.deepEqual(plan.skipped, [
      { node: 'skip-me', reason: 'excluded-by-filter' },
      { node: 'win', reason: 'windows' },
    ]);
  });

  test('include mode runs only on matching nodes, and never on Windows ones', () => {
    const filter: NodeFilterConfig = { type: 'include', selectors: ['pool=batch'] };
    const plan = planNodes(
      [
        node('x', { pool: 'batch' }),
        node('y', { pool: 'web' }),
        node('z', { pool: 'batch', 'kubernetes.io/os': 'windows' }),
      ],
      filter,
    );
    assert.deepEqual(plan.targets, ['x']);
    assert.deepEqual(
      plan.skipped.map((s) => `${s.node}:${s.reason}`),
      ['y:not-included-by-filter', 'z:windows'],
    );
  });

  test('the cleanup.filter label takes part even when the config does not list it', () => {
    const plan = planNodes([node('a', { 'eraser.sh/cleanup.filter': '' }), node('b')], {
      type: 'exclude',
      selectors: [],
    });
    assert.deepEqual(plan.targets, ['b']);
  });
});
