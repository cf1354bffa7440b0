import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FreshReader } from './fresh.js';

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('a reader that asks during a reading gets the next reading, not the running one', async () => {
  const gates = [deferred(), deferred()];
  let loads = 0;
  const reader = new FreshReader(async () => {
    const n = loads;
    loads += 1;
    await gates[n]?.promise;
    return n;
  });

  const first = reader.read();
  const second = reader.read();
  const third = reader.read();
  gates[0]?.resolve();
  gates[1]?.resolve();

  assert.equal(await first, 0);
  assert.equal(await second, 1);
  assert.equal(await third, 1);
  assert.equal(loads, 2);
});

test('a failed reading does not poison the readings queued behind it', async () => {
  let loads = 0;
  const reader = new FreshReader(() => {
    loads += 1;
    return loads === 1 ? Promise.reject(new Error('boom')) : Promise.resolve(loads);
  });

  const first = reader.read();
  const second = reader.read();

  await assert.rejects(first, /boom/);
  assert.equal(await second, 2);
});
