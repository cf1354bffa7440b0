import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { silentLogger } from '../../logger.js';
import { KubeApiError } from './errors.js';
import { Reflector, type ListPage, type WatchFn } from './reflector.js';

interface Obj {
  name: string;
  value: string;
}

function raw(name: string, value: string, rv: string): unknown {
  return { metadata: { name, resourceVersion: rv }, value };
}

function transform(input: unknown): Obj | undefined {
  const r = input as { metadata?: { name?: string }; value?: string };
  return r.metadata?.name === undefined
    ? undefined
    : { name: r.metadata.name, value: r.value ?? '' };
}

/** A scripted API: list pages by call, and watch sessions that each play a script. */
function fakeApi(
  lists: ListPage[][],
  sessions: ((emit: (t: string, o: unknown) => void, end: (e?: unknown) => void) => void)[],
) {
  let watchCall = 0;
  const watchQueries: Record<string, unknown>[] = [];
  const watch: WatchFn = (_path, query, onEvent, onDone) => {
    watchQueries.push({ ...query });
    const session = sessions[watchCall++];
    let ended = false;
    const end = (err?: unknown) => {
      if (!ended) {
        ended = true;
        onDone(err);
      }
    };
    setImmediate(() => {
      if (session === undefined) return; // stays open until aborted
      session(onEvent, end);
    });
    return Promise.resolve({
      abort: () => {
        end(new Error('aborted'));
      },
    });
  };
  let session = -1;
  const source = {
    name: 'things',
    path: '/things',
    list: ({ continueToken }: { limit: number; continueToken?: string }) => {
      if (continueToken === undefined) session += 1;
      const pages = lists[Math.min(session, lists.length - 1)] ?? [];
      const empty = { items: [], resourceVersion: '0' };
      return Promise.resolve(pages[Number(continueToken ?? 0)] ?? empty);
    },
  };
  return { watch, source, watchQueries, lists: () => session + 1 };
}

describe('reflector', () => {
  test('a paged list fills the cache, and watch events update it', async () => {
    const api = fakeApi(
      [
        [
          { items: [raw('a', '1', '5')], resourceVersion: '9', continueToken: '1' },
          { items: [raw('b', '1', '6')], resourceVersion: '9' },
        ],
      ],
      [
        (emit) => {
          emit('MODIFIED', raw('a', '2', '10'));
          emit('DELETED', raw('b', '1', '11'));
          emit('ADDED', raw('c', '1', '12'));
        },
      ],
    );
    const changes: string[] = [];
    const reflector = new Reflector(api.source, transform, (o) => o.name, {
      watch: api.watch,
      log: silentLogger(),
      sleep: () => Promise.resolve(),
    });
    reflector.onChange((type, obj) => changes.push(`${type} ${obj.name}`));
    await reflector.start();
    assert.deepEqual(
      reflector
        .values()
        .map((o) => o.name)
        .sort(),
      ['a', 'b'],
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(
      reflector
        .values()
        .map((o) => `${o.name}=${o.value}`)
        .sort(),
      ['a=2', 'c=1'],
    );
    assert.deepEqual(changes, ['added a', 'added b', 'updated a', 'deleted b', 'added c']);
    assert.equal(api.watchQueries[0]?.['resourceVersion'], '9');
    await reflector.stop();
  });

  test('a watch answered 410 Gone relists and reports what changed, deletions too', async () => {
    const api = fakeApi(
      [
        [{ items: [raw('a', '1', '1'), raw('b', '1', '2')], resourceVersion: '2' }],
        [{ items: [raw('a', '2', '7'), raw('c', '1', '8')], resourceVersion: '8' }],
      ],
      [
        (_emit, end) => {
          end(new KubeApiError(410, 'Expired', 'too old'));
        },
      ],
    );
    const changes: string[] = [];
    const reflector = new Reflector(api.source, transform, (o) => o.name, {
      watch: api.watch,
      log: silentLogger(),
      sleep: () => Promise.resolve(),
    });
    reflector.onChange((type, obj) => changes.push(`${type} ${obj.name}`));
    await reflector.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(changes.slice(2).sort(), ['added c', 'deleted b', 'updated a']);
    assert.equal(api.watchQueries.at(-1)?.['resourceVersion'], '8');
    await reflector.stop();
  });

  test('a watch that simply ends is resumed from the last resourceVersion it saw', async () => {
    const api = fakeApi(
      [[{ items: [], resourceVersion: '3' }]],
      [
        (emit, end) => {
          emit('ADDED', raw('a', '1', '4'));
          emit('BOOKMARK', { metadata: { resourceVersion: '20' } });
          end();
        },
      ],
    );
    const reflector = new Reflector(api.source, transform, (o) => o.name, {
      watch: api.watch,
      log: silentLogger(),
      sleep: () => Promise.resolve(),
    });
    await reflector.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(api.watchQueries[1]?.['resourceVersion'], '20');
    assert.equal(api.lists(), 1, 'an ended watch must not cost a relist');
    await reflector.stop();
  });
});
