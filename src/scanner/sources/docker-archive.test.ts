import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';

import { EraserError } from '../../errors.js';
import { buildInventory } from '../inventory.js';
import { DockerArchiveSource } from './docker-archive.js';
import { ImageSourceError } from './errors.js';
import {
  dockerSaveMembers,
  imageFromEntries,
  tarOf,
  type ArchiveMember,
  type FixtureImage,
} from './testing/fixtures.js';

const clock = (): Date => new Date('2025-03-01T00:00:00Z');
const ALPINE = 'ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n';
const APK =
  'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r29\nA:x86_64\no:busybox\n';

let root: string;
let counter = 0;
let alpine: FixtureImage;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'docker-archive-'));
  alpine = await imageFromEntries([
    [
      { path: 'etc/os-release', content: ALPINE },
      { path: 'lib/apk/db/installed', content: APK },
    ],
    [
      {
        path: 'usr/lib/python3.12/site-packages/idna-3.7.dist-info/METADATA',
        content: 'Metadata-Version: 2.1\nName: idna\nVersion: 3.7\n',
      },
    ],
  ]);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function archive(members: readonly ArchiveMember[]): Promise<string> {
  const file = join(root, `archive-${++counter}.tar`);
  await writeFile(file, await tarOf(members));
  return file;
}

const tags = ['docker.io/library/alpine:3.20'];
const configName = (): string => `${alpine.config.descriptor.digest.slice(7)}.json`;

/** The docker-save members with manifest.json replaced. */
function withManifest(manifest: unknown): ArchiveMember[] {
  return [
    ...dockerSaveMembers(alpine, tags).filter((m) => m.name !== 'manifest.json'),
    { name: 'manifest.json', content: JSON.stringify(manifest) },
  ];
}

function layerNames(): string[] {
  return alpine.layers.map((l) => `${l.diffId.slice(7, 23)}/layer.tar`);
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof Error, String(err));
    assert.equal((err as { code?: unknown }).code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  });
}

async function resolveOnly(file: string) {
  const source = await DockerArchiveSource.open(file);
  return source.resolve(source.find());
}

describe('DockerArchiveSource: reading images', () => {
  test('reads a docker save archive in place and inventories it', async () => {
    const file = await archive(dockerSaveMembers(alpine, tags));
    const source = await DockerArchiveSource.open(file);
    const image = await source.resolve(source.find('alpine:3.20'), 'alpine:3.20');

    assert.equal(image.id, alpine.config.descriptor.digest);
    assert.deepEqual(image.names, tags);
    assert.deepEqual(
      image.layers.map((l) => l.digest),
      alpine.layers.map((l) => l.diffId),
    );
    const inventory = await buildInventory(image, { clock });
    assert.equal(inventory.os?.name, 'Alpine Linux v3.20');
    assert.deepEqual(inventory.packages.map((p) => p.purl).sort(), [
      'pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=3.20.3',
      'pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3',
      'pkg:pypi/idna@3.7',
    ]);
  });

  test('follows layer symlinks inside the archive, as docker and skopeo write them', async () => {
    const names = alpine.layers.map((l) => `${l.diffId.slice(7)}.tar`);
    const file = await archive([
      ...alpine.layers.map((l, i) => ({ name: names[i] ?? '', content: l.tar })),
      { name: 'dir/', type: 'directory' },
      { name: 'dir/layer.tar', type: 'symlink', linkname: `../${names[0] ?? ''}` },
      { name: 'hard.tar', type: 'link', linkname: names[1] ?? '' },
      { name: configName(), content: alpine.config.bytes },
      {
        name: 'manifest.json',
        content: JSON.stringify([
          { Config: configName(), RepoTags: tags, Layers: ['./dir/layer.tar', 'hard.tar'] },
        ]),
      },
    ]);
    const inventory = await buildInventory(await resolveOnly(file), { clock });
    assert.equal(inventory.packages.length, 3);
  });

  test('reads members after long (pax) names at the right offsets', async () => {
    const long = `${'deep/'.repeat(40)}layer.tar`;
    const file = await archive([
      { name: `${'x'.repeat(150)}/ignored`, content: 'padding before the layers' },
      { name: long, content: alpine.layers[0]?.tar ?? '' },
      { name: `${'y'.repeat(120)}.tar`, content: alpine.layers[1]?.tar ?? '' },
      { name: configName(), content: alpine.config.bytes },
      {
        name: 'manifest.json',
        content: JSON.stringify([
          { Config: configName(), RepoTags: null, Layers: [long, `${'y'.repeat(120)}.tar`] },
        ]),
      },
    ]);
    const image = await resolveOnly(file);
    assert.equal(image.name, alpine.config.descriptor.digest);
    assert.equal((await buildInventory(image, { clock })).packages.length, 3);
  });

  test('takes a layer digest from a blobs/sha256 path (Docker 25 archives)', async () => {
    const [first, second] = alpine.layers;
    assert.ok(first !== undefined && second !== undefined);
    const paths = [first, second].map((l) => `blobs/sha256/${l.diffId.slice(7)}`);
    const file = await archive([
      { name: paths[0] ?? '', content: first.tar },
      { name: paths[1] ?? '', content: second.tar },
      {
        name: `blobs/sha256/${alpine.config.descriptor.digest.slice(7)}`,
        content: alpine.config.bytes,
      },
      {
        name: 'manifest.json',
        content: JSON.stringify([
          {
            Config: `blobs/sha256/${alpine.config.descriptor.digest.slice(7)}`,
            RepoTags: tags,
            Layers: paths,
          },
        ]),
      },
    ]);
    const image = await resolveOnly(file);
    assert.deepEqual(
      image.layers.map((l) => l.digest),
      [first.diffId, second.diffId],
    );
  });

  test('finds an image by tag, by ID, and refuses to guess between several', async () => {
    const other = await imageFromEntries([[{ path: 'x', content: 'y' }]]);
    const otherMembers = dockerSaveMembers(other, ['other:1']);
    const manifest = [
      { Config: configName(), RepoTags: tags, Layers: layerNames() },
      {
        Config: `${other.config.descriptor.digest.slice(7)}.json`,
        RepoTags: ['other:1'],
        Layers: [`${other.layers[0]?.diffId.slice(7, 23) ?? ''}/layer.tar`],
      },
    ];
    const file = await archive([
      ...withManifest(manifest).filter((m) => m.name !== 'manifest.json'),
      ...otherMembers.slice(0, -1),
      { name: 'manifest.json', content: JSON.stringify(manifest) },
    ]);
    const source = await DockerArchiveSource.open(file);
    assert.equal(
      source.find('docker.io/library/alpine:3.20').digest,
      alpine.config.descriptor.digest,
    );
    assert.equal(source.find(other.config.descriptor.digest).names[0], 'other:1');
    assert.throws(() => source.find(), { code: 'SOURCE_AMBIGUOUS' });
    assert.throws(() => source.find('nginx:1'), {
      code: 'SOURCE_NOT_FOUND',
      message: /alpine:3\.20, other:1/,
    });
  });
});

describe('DockerArchiveSource: hostile archives', () => {
  test('a tar without manifest.json is not a docker archive', async () => {
    const file = await archive([{ name: 'hello.txt', content: 'hi' }]);
    await rejectsWith(DockerArchiveSource.open(file), 'SOURCE_UNREADABLE', /has no manifest\.json/);
  });

  const badManifests: [what: string, manifest: unknown][] = [
    ['an object', { Config: 'x' }],
    ['an entry without Config', [{ Layers: [] }]],
    ['Layers with a number', [{ Config: 'c.json', Layers: [1] }]],
    ['RepoTags that is a string', [{ Config: 'c.json', Layers: [], RepoTags: 'a:1' }]],
  ];
  for (const [what, manifest] of badManifests) {
    test(`a manifest.json that is ${what} fails with SOURCE_BAD_MANIFEST`, async () => {
      const file = await archive(withManifest(manifest));
      await rejectsWith(
        DockerArchiveSource.open(file),
        'SOURCE_BAD_MANIFEST',
        /manifest\.json of docker archive/,
      );
    });
  }

  test('a manifest.json that is not JSON fails with SOURCE_BAD_MANIFEST', async () => {
    const members = withManifest([]).filter((m) => m.name !== 'manifest.json');
    const file = await archive([...members, { name: 'manifest.json', content: '[{' }]);
    await rejectsWith(DockerArchiveSource.open(file), 'SOURCE_BAD_MANIFEST', /not JSON/);
  });

  const unsafe: [what: string, config: string, layers: string[]][] = [
    ['a config path climbing out', '../../etc/passwd', []],
    ['an absolute config path', '/etc/passwd', []],
    ['a layer path with .. inside', 'c.json', ['a/../../b/layer.tar']],
    ['a backslash path', 'c.json', ['..\\..\\x']],
  ];
  for (const [what, config, layers] of unsafe) {
    test(`${what} fails with SOURCE_UNSAFE_PATH`, async () => {
      const members = withManifest([{ Config: config, RepoTags: tags, Layers: layers }]);
      const file = await archive([...members, { name: 'c.json', content: alpine.config.bytes }]);
      await rejectsWith(resolveOnly(file), 'SOURCE_UNSAFE_PATH', /leaves the archive/);
    });
  }

  const links: [what: string, members: ArchiveMember[], pattern: RegExp][] = [
    [
      'a symlink out of the archive',
      [{ name: 'l.tar', type: 'symlink', linkname: '../../etc/passwd' }],
      /outside the archive/,
    ],
    [
      'an absolute symlink',
      [{ name: 'l.tar', type: 'symlink', linkname: '/etc/passwd' }],
      /outside the archive/,
    ],
    [
      'a symlink loop',
      [
        { name: 'l.tar', type: 'symlink', linkname: 'm.tar' },
        { name: 'm.tar', type: 'symlink', linkname: 'l.tar' },
      ],
      /passes 16 links/,
    ],
  ];
  for (const [what, extra, pattern] of links) {
    test(`a layer that is ${what} fails with SOURCE_UNSAFE_PATH`, async () => {
      const members = withManifest([
        { Config: configName(), RepoTags: tags, Layers: ['l.tar', 'l.tar'] },
      ]);
      const file = await archive([...extra, ...members]);
      await rejectsWith(resolveOnly(file), 'SOURCE_UNSAFE_PATH', pattern);
    });
  }

  test('a layer path naming no member fails with SOURCE_BLOB_MISSING', async () => {
    const members = withManifest([
      { Config: configName(), RepoTags: tags, Layers: ['gone/layer.tar', 'x'] },
    ]);
    await rejectsWith(
      resolveOnly(await archive(members)),
      'SOURCE_BLOB_MISSING',
      /layer gone\/layer\.tar of image/,
    );
  });

  test('a layer path naming a folder fails with SOURCE_UNREADABLE', async () => {
    const members = withManifest([
      {
        Config: configName(),
        RepoTags: tags,
        Layers: [`${alpine.layers[0]?.diffId.slice(7, 23) ?? ''}/`, 'x'],
      },
    ]);
    await rejectsWith(resolveOnly(await archive(members)), 'SOURCE_UNREADABLE', /is a directory/);
  });

  test('a config whose bytes do not match its file name is SOURCE_DIGEST_MISMATCH', async () => {
    const members = dockerSaveMembers(alpine, tags).map((m) =>
      m.name === configName()
        ? { ...m, content: alpine.config.bytes.toString().replace('amd64', 'arm64') }
        : m,
    );
    await rejectsWith(
      resolveOnly(await archive(members)),
      'SOURCE_DIGEST_MISMATCH',
      /config sha256:\w+ of image alpine:3\.20|docker\.io/,
    );
  });

  test('a layer whose tar is not its config diff ID fails the inventory, naming it', async () => {
    const layer = alpine.layers[1];
    assert.ok(layer !== undefined);
    const tampered = Buffer.from(layer.tar);
    tampered.writeUInt8(tampered.readUInt8(600) ^ 0x01, 600);
    const members = dockerSaveMembers(alpine, tags).map((m) =>
      m.name === layerNames()[1] ? { ...m, content: tampered } : m,
    );
    const image = await resolveOnly(await archive(members));
    await rejectsWith(
      buildInventory(image, { clock }),
      'SCAN_DIGEST_MISMATCH',
      new RegExp(`layer ${layer.diffId} of image`),
    );
  });

  test('diff IDs that do not match the layer count fail with SOURCE_BAD_MANIFEST', async () => {
    const members = withManifest([
      { Config: configName(), RepoTags: tags, Layers: layerNames().slice(0, 1) },
    ]);
    await rejectsWith(
      resolveOnly(await archive(members)),
      'SOURCE_BAD_MANIFEST',
      /2 entries for 1 layers/,
    );
  });

  test('a gzip-compressed archive is refused with a hint to decompress it', async () => {
    const file = join(root, 'compressed.tar.gz');
    await writeFile(file, gzipSync(await tarOf(dockerSaveMembers(alpine, tags))));
    await rejectsWith(
      DockerArchiveSource.open(file),
      'SOURCE_UNSUPPORTED',
      /gzip-compressed; decompress it first/,
    );
  });

  test('a truncated archive fails with SOURCE_UNREADABLE', async () => {
    const bytes = await tarOf(dockerSaveMembers(alpine, tags));
    const file = join(root, 'truncated.tar');
    await writeFile(file, bytes.subarray(0, 2000));
    await rejectsWith(
      DockerArchiveSource.open(file),
      'SOURCE_UNREADABLE',
      /is not a readable tar file/,
    );
  });

  test('more members than allowed fail with SOURCE_TOO_LARGE', async () => {
    const file = await archive(dockerSaveMembers(alpine, tags));
    await rejectsWith(
      DockerArchiveSource.open(file, { limits: { maxArchiveEntries: 3 } }),
      'SOURCE_TOO_LARGE',
      /more than 3 members/,
    );
  });

  test('a manifest.json past the metadata limit is refused', async () => {
    const file = await archive(dockerSaveMembers(alpine, tags));
    await rejectsWith(
      DockerArchiveSource.open(file, { limits: { maxMetadataBytes: 10 } }),
      'SOURCE_TOO_LARGE',
      /manifest\.json/,
    );
  });

  test('a config past the limit is refused before it is read', async () => {
    const source = await DockerArchiveSource.open(await archive(dockerSaveMembers(alpine, tags)), {
      limits: { maxConfigBytes: 10 },
    });
    await rejectsWith(
      source.resolve(source.find()),
      'SOURCE_TOO_LARGE',
      /more than the limit of 10/,
    );
  });

  test('any bytes as an archive are read or refused with an ImageSourceError', async () => {
    const file = join(root, 'fuzz.tar');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        await writeFile(file, bytes);
        try {
          await DockerArchiveSource.open(file);
        } catch (err: unknown) {
          assert.ok(err instanceof ImageSourceError, String(err));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('an archive with a byte flipped is inventoried or refused with a typed error', async () => {
    const bytes = await tarOf(dockerSaveMembers(alpine, tags));
    const file = join(root, 'flipped.tar');
    await fc.assert(
      fc.asyncProperty(
        fc.nat(bytes.length - 1),
        fc.integer({ min: 1, max: 255 }),
        async (at, mask) => {
          const copy = Buffer.from(bytes);
          copy.writeUInt8(copy.readUInt8(at) ^ mask, at);
          await writeFile(file, copy);
          try {
            await buildInventory(await resolveOnly(file), { clock });
          } catch (err: unknown) {
            assert.ok(err instanceof EraserError, String(err));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
