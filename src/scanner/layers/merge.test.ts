import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScanError } from '../errors.js';
import type { LayerContent, LayerLink } from './layer-content.js';
import { mergeLayers } from './merge.js';

function layer(
  digest: string,
  parts: {
    files?: Record<string, string>;
    links?: Record<string, LayerLink>;
    whiteouts?: string[];
    opaque?: string[];
    unreadable?: string[];
  },
): LayerContent {
  return {
    digest,
    diffId: digest,
    compression: 'none',
    entries: 0,
    files: new Map(Object.entries(parts.files ?? {}).map(([p, c]) => [p, Buffer.from(c)])),
    links: new Map(Object.entries(parts.links ?? {})),
    whiteouts: parts.whiteouts ?? [],
    opaqueDirs: parts.opaque ?? [],
    unreadable: parts.unreadable ?? [],
    warnings: [],
  };
}

const text = (fs: ReturnType<typeof mergeLayers>, path: string): string | undefined =>
  fs.read(path)?.data.toString();

describe('mergeLayers', () => {
  test('a path an upper layer has but did not keep hides lower copies and what is under it', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'a/x': 'old', 'd/y': 'old', 'e/z': 'kept' } }),
        layer('L2', { unreadable: ['a/x', 'd'] }),
      ],
      40,
    );
    assert.deepEqual(
      ['a/x', 'd/y', 'e/z'].map((p) => text(fs, p)),
      [undefined, undefined, 'kept'],
    );
  });

  test('takes each path from the highest layer that has it', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'a/x': 'old', 'a/y': 'base' } }),
        layer('L2', { files: { 'a/x': 'new' } }),
      ],
      40,
    );
    assert.deepEqual(
      [text(fs, 'a/x'), fs.read('a/x')?.layer, text(fs, 'a/y')],
      ['new', 'L2', 'base'],
    );
  });

  test('a whiteout hides the path and everything below it in lower layers only', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'a/x': '1', 'a/sub/y': '2', b: '3' } }),
        layer('L2', { whiteouts: ['a/x', 'a/sub'] }),
        layer('L3', { files: { 'a/sub/z': 'again' } }),
      ],
      40,
    );
    assert.deepEqual(
      [text(fs, 'a/x'), text(fs, 'a/sub/y'), text(fs, 'a/sub/z'), text(fs, 'b')],
      [undefined, undefined, 'again', '3'],
    );
  });

  test('an opaque folder hides lower contents but keeps its own layer files', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'd/old': '1', 'd/keep': 'lower', 'e/f': 'other' } }),
        layer('L2', { files: { 'd/keep': 'upper' }, opaque: ['d'] }),
      ],
      40,
    );
    assert.deepEqual(
      [text(fs, 'd/old'), text(fs, 'd/keep'), text(fs, 'e/f')],
      [undefined, 'upper', 'other'],
    );
  });

  test('follows relative, absolute, chained and folder symlinks, never above the root', () => {
    const fs = mergeLayers(
      [
        layer('L1', {
          files: { 'usr/lib/os-release': 'ID=x', 'usr/lib/sysimage/rpm/Packages': 'db' },
          links: {
            'etc/os-release': { target: '../usr/lib/os-release', hard: false },
            'var/lib/rpm': { target: '/usr/lib/sysimage/rpm', hard: false },
            'up/escape': { target: '../../../../usr/lib/os-release', hard: false },
            'h/link': { target: 'usr/lib/os-release', hard: true },
            'chain/a': { target: 'b', hard: false },
            'chain/b': { target: '/etc/os-release', hard: false },
          },
        }),
      ],
      40,
    );
    for (const path of ['etc/os-release', 'up/escape', 'h/link', 'chain/a']) {
      assert.equal(text(fs, path), 'ID=x', path);
    }
    assert.equal(text(fs, 'var/lib/rpm/Packages'), 'db');
  });

  test('a symlink in an upper layer replaces a lower folder', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'var/lib/rpm/Packages': 'stale', 'new/rpm/Packages': 'fresh' } }),
        layer('L2', { links: { 'var/lib/rpm': { target: '/new/rpm', hard: false } } }),
      ],
      40,
    );
    assert.equal(text(fs, 'var/lib/rpm/Packages'), 'fresh');
    assert.equal(fs.list((p) => p.endsWith('Packages')).length, 1);
  });

  test('symlink loops fail with a ScanError instead of hanging', () => {
    const fs = mergeLayers(
      [
        layer('L1', {
          links: { a: { target: 'b', hard: false }, b: { target: 'a/c', hard: false } },
        }),
      ],
      40,
    );
    assert.throws(
      () => fs.read('a'),
      (err: unknown) => err instanceof ScanError && err.code === 'SCAN_SYMLINK',
    );
  });

  test('history lists each layer copy of a path, bottom first', () => {
    const fs = mergeLayers(
      [layer('L1', { files: { s: 'one' } }), layer('L2', {}), layer('L3', { files: { s: 'two' } })],
      40,
    );
    assert.deepEqual(
      fs.history('s').map((c) => [c.layer, c.data.toString()]),
      [
        ['L1', 'one'],
        ['L3', 'two'],
      ],
    );
  });
});
