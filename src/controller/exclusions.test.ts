import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { snapshotExclusions } from './exclusions.js';
import type { ConfigMapInfo } from './kube/objects.js';

function cm(name: string, data: Record<string, string>): ConfigMapInfo {
  return { name, namespace: 'eraser-system', uid: name, data, binaryKeys: [] };
}

describe('exclusion ConfigMaps', () => {
  test('every key of every labelled ConfigMap is copied, whatever its name', () => {
    const snap = snapshotExclusions([
      cm('team-b', { 'anything goes': '{"excluded": ["quay.io/b/*"]}' }),
      cm('team-a', {
        excluded: '{"excluded": ["alpine:*", "nginx:1.25"]}',
        'x.json': '{"excluded": []}',
      }),
    ]);
    assert.equal(snap.ok, true);
    assert.equal(snap.entries, 3);
    assert.deepEqual(
      snap.files.map((f) => [f.key, f.path, f.source]),
      [
        ['exclude-0', '0.team-a.excluded', 'eraser-system/team-a/excluded'],
        ['exclude-1', '1.team-a.x.json', 'eraser-system/team-a/x.json'],
        ['exclude-2', '2.team-b.anything_goes', 'eraser-system/team-b/anything goes'],
      ],
    );
  });

  test('a document that is not an exclusion list stops the job and names its source', () => {
    const snap = snapshotExclusions([cm('bad', { list: '{"exclude": ["alpine"]}' })]);
    assert.equal(snap.ok, false);
    assert.equal(snap.source, 'eraser-system/bad/list');
    assert.match(snap.message, /^exclusion list eraser-system\/bad\/list: /);
  });

  test('lists too large together are refused with their total size, no single source', () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => `registry.example.test/app${i}:*`);
    const big = JSON.stringify({ excluded: entries });
    const snap = snapshotExclusions([cm('a', { k: big }), cm('b', { k: big })]);
    assert.equal(snap.ok, false);
    assert.equal(snap.source, undefined);
    assert.match(snap.message, /^exclusion lists total \d+ bytes; at most 524288 fit$/);
  });

  test('no exclusion ConfigMaps means no files', () => {
    assert.deepEqual(snapshotExclusions([]), { ok: true, files: [], entries: 0 });
  });
});
