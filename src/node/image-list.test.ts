import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';

import { ImageListFileError, parseImageList, readImageListFile } from './image-list.js';

describe('parseImageList', () => {
  const good: [string, string, string[]][] = [
    ['an ImageList manifest in YAML', IMAGELIST_YAML(), ['alpine:3.7', 'docker.io/library/nginx']],
    ['a JSON array', '["a:1", " b "]', ['a:1', 'b']],
    ['plain lines with comments', '# old\nalpine:3.7\n\n nginx # web\r\n', ['alpine:3.7', 'nginx']],
    ['an empty file', '  \n', []],
    ['a JSON ImageList', '{"spec":{"images":["*"]}}', ['*']],
    ['a YAML list', '- alpine:3.7\n- nginx\n', ['alpine:3.7', 'nginx']],
    ['a YAML images key', 'images:\n  - alpine:3.7\n', ['alpine:3.7']],
    ['registry ports in plain lines', 'localhost:5000/app:1\n', ['localhost:5000/app:1']],
  ];
  for (const [name, text, expected] of good) {
    test(`reads ${name}`, () => {
      assert.deepEqual(parseImageList(text, 'f', parseYaml), expected);
    });
  }

  const bad: [string, string, RegExp][] = [
    ['a manifest without spec.images', 'kind: ImageList\nspec: {}\n', /spec\.images/],
    ['a number entry', '[1]', /entry 0 is number/],
    ['broken JSON', '["a"', /not valid YAML or JSON/],
    ['an alias bomb', ALIAS_BOMB(), /not valid YAML or JSON/],
    ['duplicate keys', 'spec:\n  images: [a]\nspec:\n  images: [b]\n', /not valid/],
    ['another kind', 'kind: ConfigMap\nspec:\n  images: [a]\n', /kind is "ConfigMap"/],
    ['another API group', 'apiVersion: foo/v9\nspec:\n  images: [a]\n', /apiVersion is "foo/],
    ['a kind that holds itself', 'kind: &k [*k]\nspec:\n  images: [a]\n', /kind is a list/],
    ['an apiVersion that holds itself', 'apiVersion: &v {a: *v}\nimages: [a]\n', /is a mapping/],
    ['two documents', 'spec:\n  images: [a]\n---\nspec:\n  images: [b]\n', /several YAML/],
  ];
  for (const [name, text, pattern] of bad) {
    test(`rejects ${name} with an error naming the file`, () => {
      assert.throws(
        () => parseImageList(text, 'list.yaml', parseYaml),
        (err: unknown) => err instanceof ImageListFileError && pattern.test(err.message),
      );
      assert.throws(() => parseImageList(text, 'list.yaml', parseYaml), /list\.yaml/);
    });
  }

  test('never throws anything but its own error on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const out = parseImageList(text, 'f', parseYaml);
          return out.every((s) => typeof s === 'string');
        } catch (err) {
          return err instanceof ImageListFileError;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseImageList on YAML with anchors and aliases', () => {
  test('any such document yields strings or the image list error', () => {
    const key = fc.constantFrom('kind', 'apiVersion', 'spec', 'images', '__proto__');
    const anchor = fc.constantFrom('', '&a ', '&b ');
    const node = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('x', 'ImageList', 'eraser.sh/v1', '1', 'null', '*a', '*b'),
        fc
          .tuple(anchor, fc.array(tie('node'), { maxLength: 3 }))
          .map(([a, items]) => `${a}[${items.join(', ')}]`),
        fc
          .tuple(anchor, fc.uniqueArray(fc.tuple(key, tie('node')), { selector: ([k]) => k }))
          .map(([a, pairs]) => `${a}{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
      ),
    })).node;
    fc.assert(
      fc.property(node, (text) => {
        try {
          const out = parseImageList(text, 'f', parseYaml);
          assert.ok(out.every((s) => typeof s === 'string'));
        } catch (err) {
          assert.ok(err instanceof ImageListFileError, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('readImageListFile', () => {
  test('rejects a missing file, a directory and an oversized file by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eraser-list-'));
    try {
      const big = join(dir, 'big.txt');
      await writeFile(big, 'a\n'.repeat(3 * 1024 * 1024));
      await assert.rejects(readImageListFile(join(dir, 'nope')), /nope: cannot read/);
      await assert.rejects(readImageListFile(dir), /not a regular file/);
      await assert.rejects(readImageListFile(big), /big\.txt: larger than/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

function IMAGELIST_YAML(): string {
  return [
    'apiVersion: eraser.sh/v1',
    'kind: ImageList',
    'metadata:',
    '  name: imagelist',
    'spec:',
    '  images:',
    '    - alpine:3.7',
    '    - docker.io/library/nginx',
    '',
  ].join('\n');
}

function ALIAS_BOMB(): string {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 12; i++) {
    const prev = String.fromCharCode(97 + i);
    const next = String.fromCharCode(98 + i);
    lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  lines.push('spec:\n  images: *m');
  return lines.join('\n');
}
