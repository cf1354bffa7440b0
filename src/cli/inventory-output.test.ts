import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Package } from '../scanner/types.js';
import { inventoryCycloneDx } from './inventory-cyclonedx.js';
import { inventoryJson, inventoryTable } from './inventory-output.js';
import { summarise, type ImageResult } from './inventory-run.js';

const LAYER = `sha256:${'1'.repeat(64)}`;
const MANIFEST = `sha256:${'2'.repeat(64)}`;
const ID = `sha256:${'3'.repeat(64)}`;

function npm(name: string, version: string, path: string): Package {
  const purl = `pkg:npm/${name}@${version}`;
  return { name, version, ecosystem: 'npm', purl, layerDigest: LAYER, path };
}

function done(image: string, packages: Package[], manifestDigest?: string): ImageResult {
  return {
    status: 'inventoried',
    image,
    facts: {
      id: ID,
      source: 'oci-layout',
      names: [image],
      platform: 'linux/amd64',
      ...(manifestDigest === undefined ? {} : { manifestDigest }),
    },
    inventory: { image, packages, layers: [{ digest: LAYER, files: 2 }], warnings: [] },
  };
}

const failed: ImageResult = {
  status: 'failed',
  image: 'broken:1',
  error: { code: 'SOURCE_BLOB_MISSING', message: 'layer sha256:… of image broken:1 is missing' },
};

const source = { kind: 'oci-layout', path: '/layouts/x' } as const;
const options = {
  specVersion: '1.6',
  timestamp: new Date('2025-03-01T00:00:00Z'),
  serialNumber: 'urn:uuid:3f6c1a52-5b8e-4a4e-9d41-2f0c6a7b9e10',
} as const;

interface Component {
  type: string;
  name: string;
  purl?: string;
  'bom-ref'?: string;
  components?: Component[];
  properties?: { name: string; value: string }[];
}

interface Bom {
  metadata: { component?: Component; properties?: { name: string; value: string }[] };
  components: Component[];
}

function bomOf(images: ImageResult[]): Bom {
  return JSON.parse(inventoryCycloneDx(summarise(source, 'linux/amd64', images), options)) as Bom;
}

describe('CycloneDX output', () => {
  test('the same package at two paths gets two components with distinct bom-refs', () => {
    const bom = bomOf([
      done(
        'registry.test/app:1',
        [
          npm('ms', '2.1.3', 'a/node_modules/ms/package.json'),
          npm('ms', '2.1.3', 'b/node_modules/ms/package.json'),
        ],
        MANIFEST,
      ),
    ]);
    const refs = bom.components.map((c) => c['bom-ref']);
    assert.deepEqual(refs, ['pkg:npm/ms@2.1.3', 'pkg:npm/ms@2.1.3#2']);
  });

  test('failed images have no component but are named in the metadata properties', () => {
    const bom = bomOf([done('registry.test/app:1', [npm('a', '1.0.0', 'p')], MANIFEST), failed]);
    assert.equal(bom.metadata.component?.name, 'registry.test/app:1');
    assert.deepEqual(
      bom.components.map((c) => c.purl),
      ['pkg:npm/a@1.0.0'],
    );
    const value = 'broken:1: SOURCE_BLOB_MISSING: layer sha256:… of image broken:1 is missing';
    assert.deepEqual(bom.metadata.properties, [{ name: 'eraser:image:failed', value }]);
  });

  test('the OS component carries its end-of-life date and verdict', () => {
    const image = done('registry.test/app:1', [], MANIFEST);
    const eol = { date: '2022-06-30', pastEol: true };
    const os = { family: 'debian', version: '9', name: 'Debian 9', eol };
    const withOs: ImageResult =
      image.status === 'inventoried' ? { ...image, inventory: { ...image.inventory, os } } : image;
    const [osComponent] = bomOf([withOs]).components;
    assert.deepEqual(
      [osComponent?.type, osComponent?.properties],
      [
        'operating-system',
        [
          { name: 'eraser:os:eol-date', value: '2022-06-30' },
          { name: 'eraser:os:past-eol', value: 'true' },
        ],
      ],
    );
  });

  test('an image named only by ID has no oci purl, and several images nest their packages', () => {
    const bom = bomOf([
      done(ID, [npm('a', '1.0.0', 'p')]),
      done('registry.test/app:1', [npm('a', '1.0.0', 'p')], MANIFEST),
    ]);
    assert.equal(bom.metadata.component, undefined);
    const [first, second] = bom.components;
    assert.equal(first?.purl, undefined);
    assert.equal(second?.purl, `pkg:oci/app@${MANIFEST}?repository_url=registry.test%2Fapp&tag=1`);
    assert.deepEqual(
      [first, second].map((c) => c?.components?.map((p) => p['bom-ref'])),
      [['image-1/pkg:npm/a@1.0.0'], ['image-2/pkg:npm/a@1.0.0']],
    );
  });
});

describe('JSON and table output', () => {
  test('JSON puts image facts beside the inventory and keeps failures with their error', () => {
    const json = JSON.parse(
      inventoryJson(
        summarise(source, 'linux/amd64', [done('app:1', [npm('a', '1.0.0', 'p')]), failed]),
      ),
    ) as {
      images: Record<string, unknown>[];
      totals: Record<string, number>;
    };
    assert.deepEqual(json.totals, { images: 2, inventoried: 1, failed: 1, packages: 1 });
    const [first] = json.images;
    assert.deepEqual([first?.['id'], first?.['platform']], [ID, 'linux/amd64']);
    assert.deepEqual(json.images[1], failed);
  });

  test('a table shows each image, its packages sorted, failures and the totals', () => {
    const text = inventoryTable(
      summarise(source, 'linux/amd64', [
        done('app:1', [npm('zeta', '2.0.0', 'z'), npm('alpha', '1.0.0', 'a')]),
        failed,
      ]),
    );
    assert.equal(
      text,
      [
        'Images from OCI layout /layouts/x, platform linux/amd64',
        '',
        `IMAGE app:1  ${ID.slice(0, 19)}  linux/amd64`,
        '  OS unknown',
        '  TYPE  NAME   VERSION  SOURCE  PATH',
        '  npm   alpha  1.0.0            a',
        '  npm   zeta   2.0.0            z',
        '',
        'IMAGE broken:1',
        '  FAILED SOURCE_BLOB_MISSING: layer sha256:… of image broken:1 is missing',
        '',
        '2 images: 1 inventoried, 1 failed, 2 packages',
        '',
      ].join('\n'),
    );
  });
});

describe('table output of hostile image content', () => {
  const ESC = '\u001b]0;PWNED\u0007\u001b[2J';

  test('control characters in every cell, name and message reach the table escaped', () => {
    const pkg = { ...npm(`a${ESC}`, `1${ESC}`, `p${ESC}`), sourceName: `s\u009b${ESC}` };
    const image = done(`app${ESC}:1`, [pkg]);
    const os = { family: 'debian', version: '12', name: `Debian${ESC}\u007f` };
    const warning = { code: 'SCAN_PARSE', message: `bad ${ESC}`, layer: LAYER };
    const withOs: ImageResult =
      image.status === 'inventoried'
        ? { ...image, inventory: { ...image.inventory, os, warnings: [warning] } }
        : image;
    const bad: ImageResult = { ...failed, image: `x${ESC}`, error: { code: 'E', message: ESC } };
    const text = inventoryTable(summarise(source, 'linux/amd64', [withOs, bad]));

    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    assert.doesNotMatch(text.replaceAll('\n', ''), /[\u0000-\u001f\u007f-\u009f]/);
    assert.match(text, /a\\u001b\]0;PWNED\\u0007\\u001b\[2J/);
    assert.match(text, /Debian\\u001b.*\\u007f/);
    assert.match(text, /s\\u009b/);
  });

  test('escaping keeps columns aligned to the escaped width', () => {
    const text = inventoryTable(
      summarise(source, 'linux/amd64', [
        done('app:1', [npm('\u0007', '1', 'x'), npm('abcdefg', '2', 'y')]),
      ]),
    );
    assert.ok(text.includes('\n  npm   \\u0007   1                x\n'), text);
    assert.ok(text.includes('\n  npm   abcdefg  2                y\n'), text);
  });

  test('a warning line adds the path and layer its message does not name', () => {
    const image = done('app:1', []);
    const warnings = [
      { code: 'SCAN_FILE_TOO_LARGE', message: '9 bytes, over the 1 kept', layer: LAYER, path: 'f' },
      { code: 'SCAN_PARSE', message: `f in layer ${LAYER}: bad`, layer: LAYER, path: 'f' },
    ];
    const withWarnings: ImageResult =
      image.status === 'inventoried'
        ? { ...image, inventory: { ...image.inventory, warnings } }
        : image;
    const text = inventoryTable(summarise(source, 'linux/amd64', [withWarnings]));
    assert.ok(
      text.includes(
        `  warning SCAN_FILE_TOO_LARGE: 9 bytes, over the 1 kept (path f, layer ${LAYER})\n`,
      ),
      text,
    );
    assert.ok(text.includes(`  warning SCAN_PARSE: f in layer ${LAYER}: bad\n`), text);
  });
});
