import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';

import {
  imageFromEntries,
  imageOf,
  indexEntry,
  layerBlob,
  writeLayout,
} from '../scanner/sources/testing/fixtures.js';
import { runInventoryCommand } from './inventory-action.js';
import type { InventoryFlags } from './inventory.js';

let root: string;
let layoutDir: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inventory-action-'));
  layoutDir = join(root, 'layout');
  const image = await imageFromEntries([[{ path: 'etc/hostname', content: 'x' }]]);
  await writeLayout(layoutDir, image.blobs, indexEntry(image.manifest, { names: ['app:1'] }));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(refs: string[], overrides: Partial<InventoryFlags>): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const err = new PassThrough();
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const flags: InventoryFlags = {
    // Never contacted by these tests; a socket no runtime listens on, just in case.
    runtimeEndpoint: `unix://${join(root, 'none.sock')}`,
    namespace: 'k8s.io',
    output: 'table',
    cyclonedxVersion: '1.6',
    concurrency: 1,
    timeout: 1,
    logLevel: 'silent',
    ...overrides,
  };
  const code = await runInventoryCommand(refs, flags, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: err,
    clock: () => new Date('2025-03-01T00:00:00Z'),
    randomUUID: () => '3f6c1a52-5b8e-4a4e-9d41-2f0c6a7b9e10',
    logDestination: { write: () => undefined },
  });
  return { code, stdout, stderr };
}

describe('eraser inventory: input checks', () => {
  test('an invalid reference is a usage error (2) before the runtime is contacted', async () => {
    const r = await run(['BAD REF!!'], {});
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /invalid image reference "BAD REF!!"/);
    assert.equal(r.stdout, '');
  });

  test('in a layout a bare tag outside the grammar is accepted, a spaced word is not', async () => {
    const tag = await run(['V1'], { ociLayout: layoutDir });
    assert.equal(tag.code, 4, tag.stderr);
    assert.match(tag.stdout, /has no image V1/);
    const spaced = await run(['BAD REF!!'], { ociLayout: layoutDir });
    assert.equal(spaced.code, 2, spaced.stderr);
  });

  test('with -o json a failure of the whole command is a JSON error on stdout', async () => {
    const r = await run(['BAD REF!!'], { output: 'json' });
    assert.equal(r.code, 2);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(parsed.error.code, 'INVALID_REFERENCE');
    assert.match(parsed.error.message, /BAD REF!!/);
  });

  test('stderr quotes image text with its control characters escaped', async () => {
    const layer = await layerBlob([{ path: 'a', content: 'x' }]);
    const hostile = { ...layer, descriptor: { ...layer.descriptor, mediaType: 'x\u001b[2J' } };
    const image = imageOf([hostile]);
    const dir = join(root, 'hostile');
    await writeLayout(dir, image.blobs, indexEntry(image.manifest, { names: ['bad:1'] }));

    const r = await run(['bad:1'], { ociLayout: dir, output: 'json' });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /bad:1 not inventoried: .*x\\u001b\[2J/);
    assert.ok(!r.stderr.includes('\u001b'), r.stderr);
  });
});

describe('eraser inventory: failures in a CycloneDX run', () => {
  test('a failed image is on stderr, in the BOM metadata, and makes the exit 4', async () => {
    const r = await run(['app:1', 'other:1'], { ociLayout: layoutDir, output: 'cyclonedx' });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /other:1 not inventoried: .*has no image other:1/);
    const bom = JSON.parse(r.stdout) as { metadata: { properties?: { name: string }[] } };
    assert.deepEqual(
      bom.metadata.properties?.map((p) => p.name),
      ['eraser:image:failed'],
    );
  });
});

describe('eraser inventory: --platform', () => {
  test('a single-platform image of another platform fails, naming both platforms', async () => {
    const r = await run(['app:1'], {
      ociLayout: layoutDir,
      platform: 'linux/arm64',
      output: 'json',
    });
    assert.equal(r.code, 4, r.stderr);
    const report = JSON.parse(r.stdout) as {
      images: { error?: { code: string; message: string } }[];
    };
    const error = report.images[0]?.error ?? { code: 'none', message: '' };
    assert.equal(error.code, 'SOURCE_NO_PLATFORM');
    assert.match(error.message, /app:1 is for linux\/amd64 .*not linux\/arm64/);
    assert.match(r.stderr, /app:1 not inventoried/);
  });

  test('the same image is read when --platform matches it or is not given', async () => {
    for (const platform of ['linux/amd64', undefined]) {
      const flags = { ociLayout: layoutDir, ...(platform === undefined ? {} : { platform }) };
      const r = await run(['app:1'], flags);
      assert.equal(r.code, 0, r.stderr);
    }
  });
});
