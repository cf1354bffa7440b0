import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { silentLogger } from '../logger.js';
import { inventoryAll } from './inventory-run.js';
import type { InventoryTarget } from './inventory-targets.js';

const clock = (): Date => new Date('2025-03-01T00:00:00Z');

describe('inventoryAll', () => {
  test('a failing image is recorded with its error and the next one is still read', async () => {
    const controller = new AbortController();
    const targets: InventoryTarget[] = [
      { name: 'bad:1', resolve: () => Promise.reject(new Error('boom')) },
      { name: 'also-bad:1', resolve: () => Promise.reject(new Error('again')) },
    ];
    const results = await inventoryAll(targets, {
      concurrency: 1,
      clock,
      logger: silentLogger(),
      signal: controller.signal,
    });
    assert.deepEqual(results, [
      { status: 'failed', image: 'bad:1', error: { code: 'INTERNAL', message: 'boom' } },
      { status: 'failed', image: 'also-bad:1', error: { code: 'INTERNAL', message: 'again' } },
    ]);
  });

  test('after an interruption, images not yet started are not read', async () => {
    const controller = new AbortController();
    let secondResolved = false;
    const targets: InventoryTarget[] = [
      {
        name: 'first:1',
        resolve: () => {
          controller.abort();
          return Promise.reject(new Error('cancelled'));
        },
      },
      {
        name: 'second:1',
        resolve: () => {
          secondResolved = true;
          return Promise.reject(new Error('must not be asked'));
        },
      },
    ];
    const seen: string[] = [];
    const results = await inventoryAll(targets, {
      concurrency: 1,
      clock,
      logger: silentLogger(),
      signal: controller.signal,
      onImage: (result) => seen.push(result.image),
    });
    assert.equal(secondResolved, false);
    assert.deepEqual(results[1], {
      status: 'failed',
      image: 'second:1',
      error: { code: 'INTERRUPTED', message: 'not read: the run was interrupted' },
    });
    assert.deepEqual(seen, ['first:1', 'second:1']);
  });
});
