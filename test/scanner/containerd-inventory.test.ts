import assert from 'node:assert/strict';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { connectContainerd, type ContainerdClient } from '../../src/runtime/containerd-client.js';
import { buildInventory } from '../../src/scanner/inventory.js';
import {
  ContainerdImageSource,
  parsePlatform,
  type ResolvedImage,
} from '../../src/scanner/sources/index.js';
import { buildImage, startTestNode, type TestNode } from '../harness/index.js';
import {
  buildIndex,
  importIndex,
  pushIndex,
  withPlatform,
  type BuiltIndex,
} from '../harness/multi-platform.js';
import { alpineFiles, ALPINE_PURLS, APP_PURLS, appImage } from './fixtures.js';

const clock = (): Date => new Date('2025-03-01T00:00:00Z');

let node: TestNode;
let client: ContainerdClient;
let source: ContainerdImageSource;

before(async () => {
  node = await startTestNode();
  client = await connectContainerd(node.endpoint);
  source = new ContainerdImageSource(client, { cri: node.runtime });
});

after(async () => {
  client.close();
  await node.stop();
});

async function resolve(ref: string, from = source): Promise<ResolvedImage> {
  return from.resolve(await from.find(ref), ref);
}

async function purlsOf(ref: string, from = source): Promise<string[]> {
  const inventory = await buildInventory(await resolve(ref, from), { clock });
  return inventory.packages.map((p) => p.purl).sort();
}

/** The CRI plugin names an imported image by ID a moment after ctr returns. */
async function waitForCri(ref: string, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await node.runtime.imageStatus(ref))?.id === id) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`CRI never reported ${ref} as ${id}`);
}

describe('inventory of images imported with ctr', () => {
  test('an image reads the same by tag, digest reference, full, bare and short ID', async () => {
    const image = await node.seedImage(appImage('ctr-app', ['example.test/inv/app:1']));
    const repoDigest = `example.test/inv/app@${image.manifestDigest}`;
    const refs = [
      'example.test/inv/app:1',
      repoDigest,
      image.id,
      image.id.slice('sha256:'.length),
      image.id.slice('sha256:'.length, 'sha256:'.length + 12),
    ];
    for (const ref of refs) {
      assert.deepEqual(await purlsOf(ref), APP_PURLS, ref);
    }

    const resolved = await resolve('example.test/inv/app:1');
    assert.equal(resolved.id, image.id);
    assert.equal(resolved.manifestDigest, image.manifestDigest);
    assert.deepEqual(resolved.names, ['example.test/inv/app:1', image.id]);
  });

  test('an untagged image reads by its digest reference', async () => {
    const image = await node.seedImage(appImage('ctr-untagged'));
    assert.match(image.reference, /@sha256:/);
    assert.deepEqual(await purlsOf(image.reference), APP_PURLS);
  });

  test('listing the node yields each image once, named by a tag when it has one', async () => {
    const image = await node.seedImage(appImage('ctr-list', ['example.test/inv/list:1']));
    const listed = (await source.list()).filter((i) => i.target.digest === image.manifestDigest);
    assert.deepEqual(
      listed.map((i) => i.name),
      ['example.test/inv/list:1'],
    );
  });

  test('an image the node does not have fails with SOURCE_NOT_FOUND naming it', async () => {
    await assert.rejects(source.find('example.test/inv/absent:1'), {
      code: 'SOURCE_NOT_FOUND',
      message:
        /image example\.test\/inv\/absent:1 is not in containerd at unix:\/\/.* \(namespace k8s\.io\)/,
    });
  });

  test('another namespace does not see the CRI images', async () => {
    await node.seedImage(appImage('ctr-ns', ['example.test/inv/ns:1']));
    const other = await connectContainerd(node.endpoint, { namespace: 'other' });
    try {
      const elsewhere = new ContainerdImageSource(other);
      await assert.rejects(elsewhere.find('example.test/inv/ns:1'), { code: 'SOURCE_NOT_FOUND' });
      assert.deepEqual(await elsewhere.list(), []);
    } finally {
      other.close();
    }
  });
});

describe('inventory of images pulled from a registry', () => {
  test('an image pulled by digest reads by that digest and by its ID', async () => {
    const pulled = await node.seedImageViaRegistry(appImage('reg-digest'));
    assert.deepEqual(await purlsOf(pulled.reference), APP_PURLS);
    assert.deepEqual(await purlsOf(pulled.imageRef), APP_PURLS);
  });

  test('an image pulled by tag reads by that tag', async () => {
    const pulled = await node.seedImageViaRegistry(appImage('reg-tag'), {
      byDigest: false,
      tag: 'v2',
    });
    assert.match(pulled.reference, /:v2$/);
    assert.deepEqual(await purlsOf(pulled.reference), APP_PURLS);
  });
});

/** An index of an amd64 app image and an arm64 Alpine-like image, listed arm64 first. */
async function twoPlatformIndex(seed: string, tag: string) {
  const arm64Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
  const amd64 = await buildImage(appImage(`${seed}-amd64`));
  const alpine = await buildImage({ seed: `${seed}-arm64`, files: alpineFiles() });
  const arm64 = withPlatform(alpine, arm64Platform);
  const index = buildIndex(
    [
      { image: arm64, platform: arm64Platform },
      { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
    ],
    [tag],
  );
  return { index, amd64Id: amd64.id, arm64Id: arm64.id };
}

describe('multi-platform images', () => {
  let index: BuiltIndex;
  let amd64Id: string;
  let arm64Id: string;

  before(async () => {
    ({ index, amd64Id, arm64Id } = await twoPlatformIndex('multi', 'example.test/inv/multi:1'));
    await importIndex(node.containerd, index);
    await waitForCri('example.test/inv/multi:1', amd64Id);
  });

  test('an index imported with all platforms reads as the node platform by default', async () => {
    const resolved = await resolve('example.test/inv/multi:1');
    assert.equal(resolved.id, amd64Id);
    assert.equal(resolved.targetDigest, index.digest);
    assert.equal(resolved.platform, 'linux/amd64');
    assert.deepEqual(await purlsOf('example.test/inv/multi:1'), APP_PURLS);
  });

  test('another platform of the same index reads when asked for', async () => {
    const arm = new ContainerdImageSource(client, { platform: parsePlatform('linux/arm64') });
    const resolved = await resolve('example.test/inv/multi:1', arm);
    assert.equal(resolved.id, arm64Id);
    assert.equal(resolved.platform, 'linux/arm64');
    assert.deepEqual(await purlsOf(`example.test/inv/multi@${index.digest}`, arm), ALPINE_PURLS);
  });

  test('a pulled index holds the node platform only: others are SOURCE_BLOB_MISSING', async () => {
    // Its own images: content imported above would be shared with this pull.
    const pulledIndex = await twoPlatformIndex('pulled', 'example.test/inv/pulled:1');
    const reference = await pushIndex(await node.registry(), pulledIndex.index, 'inv/multi', 'v1');
    assert.equal(await node.pull(reference), pulledIndex.amd64Id);
    assert.deepEqual(await purlsOf(reference), APP_PURLS);

    const arm = new ContainerdImageSource(client, { platform: parsePlatform('linux/arm64') });
    const pattern = `manifest sha256:\\w+ of image ${reference.replace(/[.]/g, '\\.')} is not in`;
    await assert.rejects(resolve(reference, arm), {
      code: 'SOURCE_BLOB_MISSING',
      message: new RegExp(pattern),
    });
  });

  test('a platform the index does not offer fails with SOURCE_NO_PLATFORM', async () => {
    const s390x = new ContainerdImageSource(client, { platform: parsePlatform('linux/s390x') });
    await assert.rejects(resolve('example.test/inv/multi:1', s390x), {
      code: 'SOURCE_NO_PLATFORM',
      message: /offers linux\/arm64, linux\/amd64/,
    });
  });
});

describe('damaged content', () => {
  function blobFile(digest: string): string {
    const root = join(node.containerd.dir, 'root', 'io.containerd.content.v1.content');
    return join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  test('a layer whose stored bytes changed fails the inventory, naming image, layer', async () => {
    const image = await node.seedImage(appImage('damaged-bytes', ['example.test/inv/damaged:1']));
    const manifest = JSON.parse(image.blobs.get(image.manifestDigest)?.toString() ?? '{}') as {
      layers: { digest: string }[];
    };
    const layer = manifest.layers[1]?.digest ?? '';
    const file = await open(blobFile(layer), 'r+');
    try {
      await file.write(Buffer.from('XX'), 0, 2, 100);
    } finally {
      await file.close();
    }

    const resolved = await resolve('example.test/inv/damaged:1');
    await assert.rejects(buildInventory(resolved, { clock }), {
      code: 'SCAN_DIGEST_MISMATCH',
      message: new RegExp(`layer ${layer} of image example\\.test/inv/damaged:1 does not match`),
    });
  });

  test('a layer removed from the content store fails before any layer is read', async () => {
    const image = await node.seedImage(appImage('damaged-gone', ['example.test/inv/gone:1']));
    const manifest = JSON.parse(image.blobs.get(image.manifestDigest)?.toString() ?? '{}') as {
      layers: { digest: string }[];
    };
    const layer = manifest.layers[1]?.digest ?? '';
    await node.containerd.ctr(['content', 'rm', layer]);

    await assert.rejects(resolve('example.test/inv/gone:1'), {
      code: 'SOURCE_BLOB_MISSING',
      message: new RegExp(
        `layer ${layer} of image example\\.test/inv/gone:1 is not in the content store` +
          '.*discard_unpacked_layers',
      ),
    });
  });
});
