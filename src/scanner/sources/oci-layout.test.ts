import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import { buildInventory } from '../inventory.js';
import { ImageSourceError } from './errors.js';
import { MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST } from './manifest.js';
import { OciLayoutSource } from './oci-layout.js';
import { parsePlatform } from './platform.js';
import {
  blobOf,
  blobPath,
  imageFromEntries,
  indexBlob,
  indexEntry,
  jsonBlob,
  MEDIA_CONFIG,
  writeLayout,
  type Blob,
  type FixtureImage,
} from './testing/fixtures.js';
import type { Descriptor } from './types.js';

const clock = (): Date => new Date('2025-03-01T00:00:00Z');
const amd64 = parsePlatform('linux/amd64');
const arm64 = parsePlatform('linux/arm64');

const DEBIAN = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const DPKG = [
  'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64',
  'Source: glibc\n',
].join('\n');

let root: string;
let counter = 0;
let debian: FixtureImage;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'oci-layout-'));
  debian = await imageFromEntries([
    [
      { path: 'etc/os-release', content: DEBIAN },
      { path: 'var/lib/dpkg/status', content: DPKG },
    ],
    [
      {
        path: 'app/node_modules/left-pad/package.json',
        content: '{"name":"left-pad","version":"1.3.0"}',
      },
    ],
  ]);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function layout(blobs: readonly Blob[], manifests: readonly Descriptor[]): Promise<string> {
  const dir = join(root, `layout-${++counter}`);
  await writeLayout(dir, blobs, manifests);
  return dir;
}

async function debianLayout(names = ['example.test/debian:12']): Promise<string> {
  return layout(debian.blobs, indexEntry(debian.manifest, { names }));
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof Error, String(err));
    assert.equal((err as { code?: unknown }).code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  });
}

describe('OciLayoutSource: reading images', () => {
  test('resolves a named image and inventories its packages and OS', async () => {
    const source = await OciLayoutSource.open(await debianLayout(), { platform: amd64 });
    const image = await source.resolve(source.find('example.test/debian:12'));

    assert.equal(image.id, debian.config.descriptor.digest);
    assert.equal(image.manifestDigest, debian.manifest.descriptor.digest);
    assert.equal(image.platform, 'linux/amd64');
    const inventory = await buildInventory(image, { clock });
    assert.equal(inventory.os?.name, 'Debian GNU/Linux 12 (bookworm)');
    assert.deepEqual(inventory.packages.map((p) => p.purl).sort(), [
      'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12',
      'pkg:npm/left-pad@1.3.0',
    ]);
  });

  test('finds an image by short tag, normalised name, digest, or as the only one', async () => {
    const dir = await layout(debian.blobs, [
      ...indexEntry(debian.manifest, { names: ['v1'] }),
      ...indexEntry(debian.manifest, { names: ['docker.io/library/debian:12'] }),
    ]);
    const source = await OciLayoutSource.open(dir);
    const digest = debian.manifest.descriptor.digest;
    for (const ref of ['v1', 'debian:12', digest, `debian@${digest}`, undefined]) {
      assert.equal(source.find(ref).digest, digest, String(ref));
    }
    assert.deepEqual(source.find().names, ['v1', 'docker.io/library/debian:12']);
  });

  test('a ref name with control characters or spaces is ignored; the digest names it', async () => {
    const hostile = '\u001b]0;PWNED\u0007\u001b[2J';
    const dir = await layout(debian.blobs, [
      ...indexEntry(debian.manifest, { names: [hostile] }),
      ...indexEntry(debian.manifest, { names: ['has space:1'] }),
    ]);
    const source = await OciLayoutSource.open(dir);
    const [entry] = source.entries;
    assert.deepEqual([entry?.name, entry?.names], [debian.manifest.descriptor.digest, []]);
  });

  test('an unknown ref fails with SOURCE_NOT_FOUND listing what the layout holds', async () => {
    const source = await OciLayoutSource.open(await debianLayout());
    assert.throws(() => source.find('other:1'), {
      code: 'SOURCE_NOT_FOUND',
      message: /has no image other:1 \(images: example\.test\/debian:12\)/,
    });
  });

  test('several images and no ref fail with SOURCE_AMBIGUOUS', async () => {
    const other = await imageFromEntries([[{ path: 'x', content: 'other' }]]);
    const dir = await layout(
      [...debian.blobs, ...other.blobs],
      [
        ...indexEntry(debian.manifest, { names: ['a:1'] }),
        ...indexEntry(other.manifest, { names: ['b:1'] }),
      ],
    );
    const source = await OciLayoutSource.open(dir);
    assert.throws(() => source.find(), { code: 'SOURCE_AMBIGUOUS', message: /a:1, b:1/ });
  });
});

describe('OciLayoutSource: Docker media types', () => {
  test('a Docker manifest list over a schema 2 manifest resolves like an OCI index', async () => {
    const dockerManifest = JSON.parse(debian.manifest.bytes.toString()) as Record<string, unknown>;
    dockerManifest['mediaType'] = MEDIA_DOCKER_MANIFEST;
    const manifest = jsonBlob(MEDIA_DOCKER_MANIFEST, dockerManifest);
    const list = jsonBlob(MEDIA_DOCKER_LIST, {
      schemaVersion: 2,
      mediaType: MEDIA_DOCKER_LIST,
      manifests: [{ ...manifest.descriptor, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    const dir = await layout([...debian.blobs, manifest, list], indexEntry(list));
    const source = await OciLayoutSource.open(dir, { platform: amd64 });
    const image = await source.resolve(source.find());
    assert.equal(image.manifestDigest, manifest.descriptor.digest);
    assert.equal(image.targetDigest, list.descriptor.digest);
  });

  test('a descriptor and document disagreeing on their kind are SOURCE_BAD_MANIFEST', async () => {
    const manifest = { ...debian.manifest.descriptor, mediaType: MEDIA_DOCKER_LIST };
    const dir = await layout(debian.blobs, [manifest]);
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(source.resolve(source.find()), 'SOURCE_BAD_MANIFEST', /disagree/);
  });
});

describe('OciLayoutSource: platforms', () => {
  let dir: string;
  let armImage: FixtureImage;

  before(async () => {
    armImage = await imageFromEntries([[{ path: 'etc/arch', content: 'arm64' }]], arm64);
    const armV6 = await imageFromEntries(
      [[{ path: 'etc/arch', content: 'armv6' }]],
      parsePlatform('linux/arm/v6'),
    );
    const index = indexBlob([
      ...indexEntry(armV6.manifest, { platform: parsePlatform('linux/arm/v6') }),
      ...indexEntry(armImage.manifest, {
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      }),
      ...indexEntry(debian.manifest, { platform: amd64 }),
    ]);
    dir = await layout(
      [...debian.blobs, ...armImage.blobs, ...armV6.blobs, index],
      indexEntry(index, { names: ['multi:1'] }),
    );
  });

  test('picks the manifest of the wanted platform from an index', async () => {
    const amdSource = await OciLayoutSource.open(dir, { platform: amd64 });
    const amd = await amdSource.resolve(amdSource.find('multi:1'));
    assert.equal(amd.manifestDigest, debian.manifest.descriptor.digest);

    const armSource = await OciLayoutSource.open(dir, { platform: arm64 });
    const arm = await armSource.resolve(armSource.find('multi:1'));
    assert.equal(arm.manifestDigest, armImage.manifest.descriptor.digest);
    assert.equal(arm.platform, 'linux/arm64');
  });

  test('an arm/v7 node gets the v6 image when no v7 one exists', async () => {
    const source = await OciLayoutSource.open(dir, { platform: parsePlatform('linux/arm/v7') });
    const image = await source.resolve(source.find());
    assert.equal(image.platform, 'linux/arm/v6');
  });

  test('no manifest for the platform is SOURCE_NO_PLATFORM, listing the offered', async () => {
    const source = await OciLayoutSource.open(dir, { platform: parsePlatform('linux/s390x') });
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_NO_PLATFORM',
      /no manifest for linux\/s390x; index sha256:\w+ offers linux\/arm\/v6, linux\/arm64, linux\/amd64/,
    );
  });
});

function indexWith(entry: Record<string, unknown>): string {
  return JSON.stringify({ schemaVersion: 2, manifests: [entry] });
}

describe('OciLayoutSource: hostile layouts', () => {
  test('a folder without an oci-layout file is refused as not a layout', async () => {
    const dir = await debianLayout();
    await rm(join(dir, 'oci-layout'));
    await rejectsWith(OciLayoutSource.open(dir), 'SOURCE_UNREADABLE', /is not an OCI image layout/);
  });

  test('a missing folder is SOURCE_UNREADABLE naming it', async () => {
    await rejectsWith(OciLayoutSource.open(join(root, 'nowhere')), 'SOURCE_UNREADABLE', /nowhere/);
  });

  const badIndexes: [what: string, text: string, code: string][] = [
    ['not JSON', '{"manifests": [', 'SOURCE_BAD_MANIFEST'],
    ['a list', '[]', 'SOURCE_BAD_MANIFEST'],
    ['a manifest', '{"schemaVersion":2,"config":{},"layers":[]}', 'SOURCE_BAD_MANIFEST'],
    ['schema version 1', '{"schemaVersion":1,"manifests":[]}', 'SOURCE_BAD_MANIFEST'],
    [
      'a traversal digest',
      indexWith({ mediaType: 'x', digest: 'sha256:../../etc/passwd', size: 1 }),
      'SOURCE_BAD_MANIFEST',
    ],
    [
      'a negative size',
      indexWith({ mediaType: 'x', digest: `sha256:${'a'.repeat(64)}`, size: -1 }),
      'SOURCE_BAD_MANIFEST',
    ],
    [
      'non-string annotations',
      indexWith({
        mediaType: 'x',
        digest: `sha256:${'a'.repeat(64)}`,
        size: 1,
        annotations: { a: 1 },
      }),
      'SOURCE_BAD_MANIFEST',
    ],
  ];
  for (const [what, text, code] of badIndexes) {
    test(`an index.json that is ${what} fails with ${code}`, async () => {
      const dir = await debianLayout();
      await writeFile(join(dir, 'index.json'), text);
      await rejectsWith(OciLayoutSource.open(dir), code, /index\.json of OCI layout/);
    });
  }

  test('an index.json past the metadata limit is refused before it is parsed', async () => {
    const dir = await debianLayout();
    await writeFile(join(dir, 'index.json'), Buffer.alloc(2048, 0x20));
    await rejectsWith(
      OciLayoutSource.open(dir, { limits: { maxMetadataBytes: 1024 } }),
      'SOURCE_TOO_LARGE',
    );
  });

  test('an index with more entries than allowed fails with SOURCE_TOO_LARGE', async () => {
    const many = Array.from({ length: 5 }, () => indexEntry(debian.manifest)).flat();
    const dir = await layout(debian.blobs, many);
    await rejectsWith(
      OciLayoutSource.open(dir, { limits: { maxIndexEntries: 4 } }),
      'SOURCE_TOO_LARGE',
    );
  });

  test('a missing manifest blob fails with SOURCE_BLOB_MISSING naming image, digest', async () => {
    const dir = await debianLayout();
    await rm(blobPath(dir, debian.manifest.descriptor.digest));
    const source = await OciLayoutSource.open(dir);
    const digest = debian.manifest.descriptor.digest;
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_BLOB_MISSING',
      new RegExp(`manifest ${digest} of image example.test/debian:12 is missing`),
    );
  });

  test('a missing layer blob fails at resolve, before any layer is streamed', async () => {
    const dir = await debianLayout();
    const layer = debian.layers[1]?.descriptor.digest ?? '';
    await rm(blobPath(dir, layer));
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_BLOB_MISSING',
      new RegExp(`layer ${layer}`),
    );
  });

  test('a manifest blob whose bytes changed fails with SOURCE_DIGEST_MISMATCH', async () => {
    const dir = await debianLayout();
    const path = blobPath(dir, debian.manifest.descriptor.digest);
    await writeFile(
      path,
      debian.manifest.bytes.toString().replace('"schemaVersion":2', '"schemaVersion":3'),
    );
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_DIGEST_MISMATCH',
      /does not match its digest: the bytes hash to sha256:/,
    );
  });

  test('a layer blob with other bytes of its size fails the inventory, naming it', async () => {
    const dir = await debianLayout();
    const layer = debian.layers[0];
    assert.ok(layer !== undefined);
    const tampered = Buffer.from(layer.bytes);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    await writeFile(blobPath(dir, layer.descriptor.digest), tampered);
    const source = await OciLayoutSource.open(dir);
    const image = await source.resolve(source.find());
    await rejectsWith(
      buildInventory(image, { clock }),
      'SCAN_DIGEST_MISMATCH',
      new RegExp(`layer ${layer.descriptor.digest} of image example.test/debian:12`),
    );
  });

  test("a layer blob of another size fails at resolve with the scanner's code", async () => {
    const dir = await debianLayout();
    const layer = debian.layers[0]?.descriptor.digest ?? '';
    await truncate(blobPath(dir, layer), 10);
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(source.resolve(source.find()), 'SCAN_DIGEST_MISMATCH', /is 10 bytes on disk/);
  });

  test('a blob that is a folder is refused rather than read', async () => {
    const dir = await debianLayout();
    const path = blobPath(dir, debian.config.descriptor.digest);
    await rm(path);
    await mkdir(path);
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(source.resolve(source.find()), 'SOURCE_UNREADABLE', /not a regular file/);
  });

  test('a manifest announced larger than the limit is refused without reading it', async () => {
    const huge = { ...debian.manifest.descriptor, size: 64 * 1024 ** 2 };
    const dir = await layout(debian.blobs, [
      { ...huge, annotations: { 'org.opencontainers.image.ref.name': 'huge' } },
    ]);
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_TOO_LARGE',
      /is 67108864 bytes, more than the limit of 4194304/,
    );
  });

  test('a manifest larger than its descriptor says is cut off at the announced size', async () => {
    const small = { ...debian.manifest.descriptor, size: 20 };
    const dir = await layout(debian.blobs, [small]);
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_DIGEST_MISMATCH',
      /bytes on disk, not 20/,
    );
  });

  test('indexes nested deeper than the limit are refused', async () => {
    let top: Blob = debian.manifest;
    const blobs: Blob[] = [...debian.blobs];
    for (let i = 0; i < 3; i++) {
      top = indexBlob(indexEntry(top, { platform: amd64 }));
      blobs.push(top);
    }
    const dir = await layout(blobs, indexEntry(top));
    const source = await OciLayoutSource.open(dir, { limits: { maxNesting: 2 }, platform: amd64 });
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_TOO_LARGE',
      /nests indexes more than 2 deep/,
    );
    const deeper = await OciLayoutSource.open(dir, { platform: amd64 });
    assert.equal((await deeper.resolve(deeper.find())).id, debian.config.descriptor.digest);
  });

  const unsupported: [
    what: string,
    edit: (manifest: Record<string, unknown>) => void,
    pattern: RegExp,
  ][] = [
    [
      'a Helm chart (artifact config type)',
      (m) =>
        (m['config'] = {
          ...debian.config.descriptor,
          mediaType: 'application/vnd.cncf.helm.config.v1+json',
        }),
      /is not a container image/,
    ],
    [
      'an encrypted layer',
      (m) =>
        (m['layers'] = [
          {
            ...debian.layers[0]?.descriptor,
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted',
          },
        ]),
      /encrypted layers cannot be inventoried/,
    ],
    [
      'a Docker schema 1 manifest',
      (m) => (m['mediaType'] = 'application/vnd.docker.distribution.manifest.v1+prettyjws'),
      /schema 1/,
    ],
  ];
  for (const [what, edit, pattern] of unsupported) {
    test(`${what} fails with SOURCE_UNSUPPORTED`, async () => {
      const manifest = JSON.parse(debian.manifest.bytes.toString()) as Record<string, unknown>;
      edit(manifest);
      const blob = jsonBlob(String(manifest['mediaType']), manifest);
      const dir = await layout([...debian.blobs, blob], indexEntry(blob));
      const source = await OciLayoutSource.open(dir);
      await rejectsWith(source.resolve(source.find()), 'SOURCE_UNSUPPORTED', pattern);
    });
  }

  test('an image config that is not JSON fails with SOURCE_BAD_MANIFEST', async () => {
    const config = blobOf(MEDIA_CONFIG, Buffer.from('{oops'));
    const manifest = JSON.parse(debian.manifest.bytes.toString()) as Record<string, unknown>;
    manifest['config'] = config.descriptor;
    const blob = jsonBlob(String(manifest['mediaType']), manifest);
    const dir = await layout([...debian.blobs, config, blob], indexEntry(blob));
    const source = await OciLayoutSource.open(dir);
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_BAD_MANIFEST',
      /config sha256:\w+ of image .*: not JSON/,
    );
  });

  test('any JSON as index.json is either read or refused with an ImageSourceError', async () => {
    const dir = await debianLayout();
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 4 }), async (text) => {
        await writeFile(join(dir, 'index.json'), text);
        try {
          await OciLayoutSource.open(dir);
        } catch (err: unknown) {
          assert.ok(err instanceof ImageSourceError, String(err));
        }
      }),
      { numRuns: 200 },
    );
  });
});
