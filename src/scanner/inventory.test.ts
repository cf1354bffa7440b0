import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScanError } from './errors.js';
import { buildInventory } from './inventory.js';
import {
  gzip,
  imageOf,
  layerSource,
  sha256,
  tarLayer,
  zstd,
  type TarEntry,
} from './testing/layers.js';
import { encodeRpmHeader, encodeSqliteDb } from './testing/rpm.js';
import type { ImageSource, Inventory } from './types.js';

const clock = (): Date => new Date('2025-03-01T00:00:00Z');

const DEBIAN_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

function dpkgEntry(name: string, version: string, extra = ''): string {
  const status = 'Status: install ok installed\nArchitecture: amd64\n';
  return `Package: ${name}\n${status}${extra}Version: ${version}\n`;
}

/** Package lists in a compact, hand-checkable form: one line per package, then its purl. */
function summary(inventory: Inventory, layers: readonly string[]): string[] {
  return [...inventory.packages]
    .sort((a, b) => (a.purl < b.purl ? -1 : 1))
    .flatMap((p) => {
      const source =
        p.sourceName === undefined ? '' : ` src=${p.sourceName}@${p.sourceVersion ?? ''}`;
      const layer = layers.indexOf(p.layerDigest);
      return [`${p.ecosystem} ${p.name}@${p.version}${source} L${layer}`, p.purl];
    });
}

describe('buildInventory', () => {
  test('inventories a three-layer Debian image in tar, gzip and zstd with whiteouts', async () => {
    const base: TarEntry[] = [
      { path: 'usr/lib/os-release', content: DEBIAN_RELEASE },
      { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      {
        path: 'var/lib/dpkg/status',
        content: [
          dpkgEntry('libc6', '2.36-9', 'Source: glibc\n'),
          dpkgEntry('tzdata', '2024a-0'),
        ].join('\n'),
      },
      {
        path: 'app/node_modules/left-pad/package.json',
        content: '{"name":"left-pad","version":"1.3.0"}',
      },
      {
        path: 'app/node_modules/old/node_modules/x/package.json',
        content: '{"name":"x","version":"0.1.0"}',
      },
    ];
    const upgrade: TarEntry[] = [
      {
        path: 'var/lib/dpkg/status',
        content: [
          dpkgEntry('libc6', '2.36-9', 'Source: glibc\n'),
          dpkgEntry('libssl3', '3.0.11-1~deb12u2+b1', 'Source: openssl (3.0.11-1~deb12u2)\n'),
          dpkgEntry('tzdata', '2025a-0'),
        ].join('\n'),
      },
      {
        path: 'usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA',
        content: 'Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n',
      },
    ];
    const app: TarEntry[] = [
      { path: 'app/node_modules/.wh.left-pad', content: '' },
      { path: 'app/node_modules/old/.wh..wh..opq', content: '' },
      {
        path: 'app/node_modules/@types/node/package.json',
        content: '{"name":"@types/node","version":"20.1.0"}',
      },
    ];
    const tars = await Promise.all([tarLayer(base), tarLayer(upgrade), tarLayer(app)]);
    const blobs = [tars[0], gzip(tars[1]), zstd(tars[2])];
    const image: ImageSource = {
      name: 'example.test/debian-app:1',
      config: { rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) } },
      layers: blobs.map((blob) => layerSource(blob)),
    };
    const layers = blobs.map(sha256);

    const inventory = await buildInventory(image, { clock });

    assert.deepEqual(inventory.os, {
      family: 'debian',
      name: 'Debian GNU/Linux 12 (bookworm)',
      version: '12',
      eol: { date: '2028-06-30', pastEol: false },
    });
    assert.deepEqual(summary(inventory, layers), [
      'deb libc6@2.36-9 src=glibc@2.36-9 L0',
      'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12',
      'deb libssl3@3.0.11-1~deb12u2+b1 src=openssl@3.0.11-1~deb12u2 L1',
      'pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12',
      'deb tzdata@2025a-0 src=tzdata@2025a-0 L1',
      'pkg:deb/debian/tzdata@2025a-0?arch=amd64&distro=debian-12',
      'npm @types/node@20.1.0 L2',
      'pkg:npm/%40types/node@20.1.0',
      'pypi jinja2@3.1.2 L1',
      'pkg:pypi/jinja2@3.1.2',
    ]);
    assert.deepEqual(
      inventory.layers.map((l) => l.files),
      [4, 2, 1],
    );
    assert.deepEqual(inventory.warnings, []);
  });

  test('reads distroless status.d files, each attributed to its own layer', async () => {
    const image = await imageOf('example.test/distroless:nonroot', [
      [
        { path: 'etc/os-release', content: DEBIAN_RELEASE },
        {
          path: 'var/lib/dpkg/status.d/base-files',
          content: 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n',
        },
        { path: 'var/lib/dpkg/status.d/base-files.md5sums', content: 'abc  etc/debian_version\n' },
      ],
      [
        {
          path: 'var/lib/dpkg/status.d/libssl3',
          content: 'Package: libssl3\nVersion: 3.0.15-1\nArchitecture: amd64\nSource: openssl\n',
        },
      ],
    ]);
    const layers = image.layers.map((l) => l.digest);
    const inventory = await buildInventory(image, { clock });
    assert.deepEqual(summary(inventory, layers), [
      'deb base-files@12.4+deb12u5 src=base-files@12.4+deb12u5 L0',
      'pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12',
      'deb libssl3@3.0.15-1 src=openssl@3.0.15-1 L1',
      'pkg:deb/debian/libssl3@3.0.15-1?arch=amd64&distro=debian-12',
    ]);
  });

  test('inventories an Alpine image past its end of life', async () => {
    const image = await imageOf('example.test/alpine:3.16', [
      [
        { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.9\n' },
        {
          path: 'lib/apk/db/installed',
          content:
            'P:musl\nV:1.2.3-r3\nA:x86_64\no:musl\n\n' +
            'P:libcrypto3\nV:3.0.15-r0\nA:x86_64\no:openssl\n',
        },
      ],
    ]);
    const inventory = await buildInventory(image, { clock });
    assert.deepEqual(inventory.os?.eol, { date: '2024-05-23', pastEol: true });
    assert.deepEqual(
      summary(
        inventory,
        image.layers.map((l) => l.digest),
      ),
      [
        'apk libcrypto3@3.0.15-r0 src=openssl@3.0.15-r0 L0',
        'pkg:apk/alpine/libcrypto3@3.0.15-r0?arch=x86_64&distro=3.16.9',
        'apk musl@1.2.3-r3 src=musl@1.2.3-r3 L0',
        'pkg:apk/alpine/musl@1.2.3-r3?arch=x86_64&distro=3.16.9',
      ],
    );
  });

  test('reads rpm SQLite through the var/lib/rpm symlink and skips gpg-pubkey', async () => {
    const db = encodeSqliteDb([
      encodeRpmHeader({
        name: 'bash',
        version: '5.1.8',
        release: '6.el9',
        arch: 'x86_64',
        sourceRpm: 'bash-5.1.8-6.el9.src.rpm',
      }),
      encodeRpmHeader({ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b' }),
      encodeRpmHeader({
        name: 'openssl-libs',
        version: '3.0.7',
        release: '27.el9',
        epoch: 1,
        arch: 'x86_64',
        sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
      }),
    ]);
    const image = await imageOf('example.test/ubi:9', [
      [
        {
          path: 'etc/os-release',
          content: 'ID="rhel"\nVERSION_ID="9.3"\nNAME="Red Hat Enterprise Linux"\n',
        },
        { path: 'var/lib/rpm', type: 'symlink', linkname: '../../usr/lib/sysimage/rpm' },
        { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: db },
      ],
    ]);
    const inventory = await buildInventory(image, { clock });
    assert.deepEqual(
      summary(
        inventory,
        image.layers.map((l) => l.digest),
      ),
      [
        'rpm bash@5.1.8-6.el9 src=bash@5.1.8-6.el9 L0',
        'pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3',
        'rpm openssl-libs@1:3.0.7-27.el9 src=openssl@1:3.0.7-27.el9 L0',
        'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1',
      ],
    );
  });

  test('hostile files cost only their own results; warnings name layer and path', async () => {
    const image = await imageOf('example.test/hostile:1', [
      [
        { path: 'etc/os-release', type: 'symlink', linkname: 'loop' },
        { path: 'etc/loop', type: 'symlink', linkname: 'os-release' },
        { path: 'var/lib/rpm/Packages', content: Buffer.alloc(8192, 0x41) },
        { path: 'lib/apk/db/installed', content: Buffer.from([0, 1, 2, 3]) },
        { path: 'n/node_modules/bad/package.json', content: '{"name":' },
        { path: 'n/node_modules/good/package.json', content: '{"name":"good","version":"1.0.0"}' },
      ],
    ]);
    const layer = image.layers[0]?.digest ?? '';
    const inventory = await buildInventory(image, { clock });

    assert.equal(inventory.os, undefined);
    assert.deepEqual(
      inventory.packages.map((p) => p.name),
      ['good'],
    );
    const warnings = inventory.warnings.map((w) => `${w.code} ${w.path ?? '-'} ${w.layer ?? '-'}`);
    assert.deepEqual(warnings.sort(), [
      `SCAN_PARSE lib/apk/db/installed ${layer}`,
      `SCAN_PARSE n/node_modules/bad/package.json ${layer}`,
      `SCAN_PARSE var/lib/rpm/Packages ${layer}`,
      'SCAN_SYMLINK - -',
    ]);
    assert.ok(inventory.warnings.every((w) => w.message.includes('example.test/hostile:1')));
  });

  test('an oversized upper copy hides the lower one: no packages, a warning', async () => {
    const big = dpkgEntry('new', '2.0').padEnd(4096, '\n');
    const image = await imageOf('example.test/grown:1', [
      [{ path: 'var/lib/dpkg/status', content: dpkgEntry('old', '1.0') }],
      [{ path: 'var/lib/dpkg/status', content: big }],
    ]);
    const inventory = await buildInventory(image, { clock, limits: { maxFileBytes: 1024 } });

    assert.deepEqual(inventory.packages, []);
    const warnings = inventory.warnings.map((w) => `${w.code} ${w.path ?? '-'} ${w.layer ?? '-'}`);
    const upper = image.layers[1]?.digest ?? '';
    assert.deepEqual(warnings, [`SCAN_FILE_TOO_LARGE var/lib/dpkg/status ${upper}`]);
  });

  test('links past the limit warn once and still hide the lower folder they replace', async () => {
    const image = await imageOf('example.test/links:1', [
      [{ path: 'var/lib/dpkg/status', content: dpkgEntry('old', '1.0') }],
      [
        { path: 'a', type: 'symlink', linkname: 'b' },
        { path: 'var/lib/dpkg', type: 'symlink', linkname: '/elsewhere' },
        { path: 'c', type: 'symlink', linkname: 'b' },
      ],
    ]);
    const inventory = await buildInventory(image, { clock, limits: { maxLinks: 1 } });

    assert.deepEqual(inventory.packages, []);
    assert.deepEqual(
      inventory.warnings.map((w) => `${w.code} ${w.path ?? '-'}`),
      ['SCAN_LIMIT var/lib/dpkg'],
    );
  });

  test('packages under a folder an upper layer replaced by a file or link disappear', async () => {
    const npm = (name: string): TarEntry => ({
      path: `usr/lib/node_modules/${name}/package.json`,
      content: JSON.stringify({ name, version: '1.0.0' }),
    });
    const image = await imageOf('example.test/replaced:1', [
      [
        { path: 'etc/os-release', content: DEBIAN_RELEASE },
        { path: 'var/lib/dpkg/status', content: dpkgEntry('ghost', '1.0') },
        npm('file-over'),
        npm('link-over'),
        npm('stays'),
      ],
      [
        { path: 'var/lib/', type: 'directory' },
        { path: 'var/lib/dpkg', content: 'a regular file where the folder was' },
        { path: 'usr/lib/node_modules/', type: 'directory' },
        { path: 'usr/lib/node_modules/file-over', content: 'not a package any more' },
        { path: 'usr/lib/node_modules/link-over', type: 'symlink', linkname: '/nowhere' },
      ],
    ]);
    const inventory = await buildInventory(image, { clock });

    assert.deepEqual(
      inventory.packages.map((p) => `${p.ecosystem} ${p.name}`),
      ['npm stays'],
    );
    assert.deepEqual(inventory.warnings, []);
  });

  test('a folder over a lower file replaces it; a folder over a folder merges', async () => {
    const image = await imageOf('example.test/folders:1', [
      [
        { path: 'etc/os-release', content: DEBIAN_RELEASE },
        { path: 'var/lib/dpkg/status', content: dpkgEntry('base', '1.0') },
        { path: 'lib/apk/db/installed', content: 'P:gone\nV:1.0-r0\n' },
      ],
      [
        { path: 'var/', type: 'directory' },
        { path: 'var/lib/', type: 'directory' },
        { path: 'var/lib/dpkg/', type: 'directory' },
        { path: 'lib/apk/db/installed/', type: 'directory' },
      ],
    ]);
    const inventory = await buildInventory(image, { clock });
    const base = image.layers[0]?.digest;

    assert.deepEqual(
      inventory.packages.map((p) => [p.ecosystem, p.name, p.layerDigest === base]),
      [['deb', 'base', true]],
    );
  });

  test('a package re-added after its folder was replaced belongs to the later layer', async () => {
    const status = { path: 'var/lib/dpkg/status', content: dpkgEntry('tool', '1.0') };
    const image = await imageOf('example.test/readded:1', [
      [{ path: 'etc/os-release', content: DEBIAN_RELEASE }, status],
      [{ path: 'var/lib/dpkg', content: 'a file' }],
      [{ path: 'var/lib/dpkg/', type: 'directory' }, status],
    ]);
    const inventory = await buildInventory(image, { clock });

    assert.deepEqual(
      inventory.packages.map((p) => [p.name, p.layerDigest]),
      [['tool', image.layers[2]?.digest]],
    );
  });

  test('a corrupt layer fails the image with an error naming the image and the layer', async () => {
    const blob = gzip(await tarLayer([{ path: 'a', content: 'y'.repeat(10_000) }]));
    const cut = blob.subarray(0, blob.length - 40);
    const image: ImageSource = { name: 'example.test/broken:1', layers: [layerSource(cut)] };
    await assert.rejects(buildInventory(image, { clock }), (err: unknown) => {
      assert.ok(err instanceof ScanError);
      assert.equal(err.code, 'SCAN_LAYER_CORRUPT');
      assert.match(err.message, /example\.test\/broken:1/);
      assert.equal(err.context['layer'], sha256(cut));
      return true;
    });
  });

  test('a config whose diff IDs do not match the layer count is refused', async () => {
    const image = await imageOf('example.test/mismatch:1', [[{ path: 'a', content: 'x' }]]);
    const config = { rootfs: { type: 'layers', diff_ids: [] } };
    await assert.rejects(
      buildInventory({ ...image, config }, { clock }),
      /0 diff IDs for 1 layers/,
    );
  });
});
