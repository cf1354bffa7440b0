import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { parseMountinfo } from './cleanup.js';

const SAMPLE = [
  '22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/a',
  '45 27 0:40 / /tmp/ctrd-x/state/sandboxes/abc/shm rw,nosuid - tmpfs shm rw,size=65536k',
  '46 27 0:41 / /tmp/with\\040space rw shared:7 master:1 - tmpfs tmpfs rw',
].join('\n');

describe('parseMountinfo', () => {
  test('reads mount id, parent, mount point and fs type, with optional fields', () => {
    assert.deepEqual(parseMountinfo(SAMPLE), [
      { mountId: 22, parentId: 1, mountPoint: '/', fsType: 'overlay' },
      {
        mountId: 45,
        parentId: 27,
        mountPoint: '/tmp/ctrd-x/state/sandboxes/abc/shm',
        fsType: 'tmpfs',
      },
      { mountId: 46, parentId: 27, mountPoint: '/tmp/with space', fsType: 'tmpfs' },
    ]);
  });

  const hostile: [string, string][] = [
    ['an empty text', ''],
    ['a line without separator', '22 1 0:21 / / rw,relatime overlay overlay rw'],
    ['a separator too early', '22 1 - overlay overlay rw'],
    ['non-numeric ids', 'x y 0:21 / / rw - overlay overlay rw'],
    ['a relative mount point', '22 1 0:21 / tmp rw - overlay overlay rw'],
    ['a separator as last field', '22 1 0:21 / /x rw -'],
  ];
  for (const [what, text] of hostile) {
    test(`skips ${what}`, () => {
      assert.deepEqual(parseMountinfo(text), []);
    });
  }

  test('never throws and only returns absolute mount points', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 8 }), (lines) => {
        for (const entry of parseMountinfo(lines.join('\n'))) {
          assert.ok(entry.mountPoint.startsWith('/'));
          assert.ok(Number.isSafeInteger(entry.mountId));
        }
      }),
    );
  });
});
