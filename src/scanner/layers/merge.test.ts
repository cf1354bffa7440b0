import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScanError } from '../errors.js';
import type { LayerContent, LayerLink } from './layer-content.js';
import { mergeLayers } from './merge.js';
import { PathHashes } from './path-hashes.js';

function layer(
  digest: string,
  parts: {
    files?: Record<string, string>;
    links?: Record<string, LayerLink>;
    whiteouts?: string[];
    opaque?: string[];
    unreadable?: string[];
    otherFiles?: string[];
    dirs?: string[];
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
    otherFiles: PathHashes.of(parts.otherFiles ?? []),
    dirs: PathHashes.of(parts.dirs ?? []),
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

  test('history starts again above a layer that deleted the path', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'd/s': 'one' } }),
        layer('L2', { files: { 'd/s': 'two' } }),
        layer('L3', { otherFiles: ['d'] }),
        layer('L4', { files: { 'd/s': 'three' } }),
        layer('L5', { files: { 'd/s': 'four' } }),
      ],
      40,
    );
    assert.deepEqual(
      fs.history('d/s').map((c) => [c.layer, c.index]),
      [
        ['L4', 3],
        ['L5', 4],
      ],
    );
  });
});

describe('mergeLayers: entries that replace lower ones (OCI layer changesets)', () => {
  const dpkg = { 'var/lib/dpkg/status': 'Package: ghost\n', 'var/lib/other/keep': 'kept' };

  test('a file no analyser wants replaces a lower folder and everything below it', () => {
    const fs = mergeLayers(
      [layer('L1', { files: dpkg }), layer('L2', { otherFiles: ['var/lib/dpkg'] })],
      40,
    );
    assert.equal(text(fs, 'var/lib/dpkg/status'), undefined);
    assert.equal(text(fs, 'var/lib/other/keep'), 'kept');
    assert.deepEqual(fs.history('var/lib/dpkg/status'), []);
  });

  test('a kept file replaces a lower folder of kept files', () => {
    const fs = mergeLayers(
      [layer('L1', { files: { 'a/b/c': 'below' } }), layer('L2', { files: { 'a/b': 'file now' } })],
      40,
    );
    assert.deepEqual([text(fs, 'a/b/c'), text(fs, 'a/b')], [undefined, 'file now']);
  });

  test('a symlink below a replaced folder is gone too, and stops redirecting lookups', () => {
    const fs = mergeLayers(
      [
        layer('L1', {
          files: { 'real/status': 'through the link' },
          links: { 'var/lib/dpkg': { target: '/real', hard: false } },
        }),
        layer('L2', { otherFiles: ['var/lib'] }),
      ],
      40,
    );
    assert.equal(text(fs, 'var/lib/dpkg/status'), undefined);
    assert.equal(text(fs, 'real/status'), 'through the link');
  });

  test('an unkept file, device or fifo replaces a lower kept file or link at its path', () => {
    const fs = mergeLayers(
      [
        layer('L1', {
          files: { 'usr/lib/os-release': 'ID=x', 'opt/x/package.json': '{}' },
          links: { 'etc/os-release': { target: '../usr/lib/os-release', hard: false } },
        }),
        layer('L2', { otherFiles: ['etc/os-release', 'opt/x/package.json'] }),
      ],
      40,
    );
    assert.deepEqual(
      [text(fs, 'etc/os-release'), text(fs, 'opt/x/package.json'), text(fs, 'usr/lib/os-release')],
      [undefined, undefined, 'ID=x'],
    );
  });

  test('a folder replaces a lower file or symlink at its path', () => {
    const fs = mergeLayers(
      [
        layer('L1', {
          files: { 'var/lib/rpm/Packages': 'old file', 'run/pkg': 'via the old link' },
          links: { 'var/run': { target: '/run', hard: false } },
        }),
        layer('L2', {
          dirs: ['var/lib/rpm/Packages', 'var/run'],
          files: { 'var/run/pkg': 'in the new folder' },
        }),
      ],
      40,
    );
    assert.equal(text(fs, 'var/lib/rpm/Packages'), undefined);
    assert.equal(text(fs, 'var/run/pkg'), 'in the new folder');
    assert.equal(text(fs, 'run/pkg'), 'via the old link');
  });

  test('a folder over a lower folder merges: the lower files stay', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'd/lower': 'lower', 'd/both': 'old' } }),
        layer('L2', { dirs: ['d'], files: { 'd/upper': 'upper', 'd/both': 'new' } }),
      ],
      40,
    );
    assert.deepEqual(
      ['d/lower', 'd/upper', 'd/both'].map((p) => text(fs, p)),
      ['lower', 'upper', 'new'],
    );
    assert.deepEqual(
      fs.history('d/both').map((c) => c.layer),
      ['L1', 'L2'],
    );
  });

  test('a folder, then a link over it, then a folder again: the first folder is gone', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'd/first': '1' } }),
        layer('L2', { links: { d: { target: '/elsewhere', hard: false } } }),
        layer('L3', { dirs: ['d'], files: { 'd/third': '3' } }),
      ],
      40,
    );
    assert.deepEqual([text(fs, 'd/first'), text(fs, 'd/third')], [undefined, '3']);
  });

  test('a replacement reaches only the layers below it', () => {
    const fs = mergeLayers(
      [
        layer('L1', { files: { 'd/x': 'below' } }),
        layer('L2', { otherFiles: ['d'] }),
        layer('L3', { dirs: ['d'], files: { 'd/x': 'above' } }),
      ],
      40,
    );
    assert.equal(fs.read('d/x')?.layer, 'L3');
    assert.deepEqual(
      fs.history('d/x').map((c) => c.layer),
      ['L3'],
    );
  });
});
