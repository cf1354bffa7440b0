/**
 * Image contents for the inventory integration tests, with the package list each must give,
 * written by hand from the files (never computed by the code under test).
 */
import type { ImageSpec } from '../harness/index.js';

const DEBIAN_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n' +
  'ID=debian\n';

const DPKG_STATUS = [
  'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\n',
  'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\n' +
    'Version: 3.0.11-1~deb12u2\n',
  'Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0-1\n',
].join('\n');

/** A Debian-like app image: dpkg, npm and Python packages in the top layer. */
export function appFiles(marker: string): Record<string, string> {
  return {
    'etc/os-release': DEBIAN_RELEASE,
    'var/lib/dpkg/status': DPKG_STATUS,
    'srv/app/node_modules/express/package.json': '{"name":"express","version":"4.19.2"}',
    'srv/app/node_modules/@scope/util/package.json': '{"name":"@scope/util","version":"0.3.1"}',
    'usr/lib/python3/dist-packages/Flask-3.0.3.dist-info/METADATA':
      'Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.3\n',
    'etc/marker': marker,
  };
}

/** The purls appFiles must inventory to, sorted. */
export const APP_PURLS = [
  'pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12',
  'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
  'pkg:npm/%40scope/util@0.3.1',
  'pkg:npm/express@4.19.2',
  'pkg:pypi/flask@3.0.3',
];

export function appImage(seed: string, tags: readonly string[] = []): ImageSpec {
  return { tags, seed, files: appFiles(seed) };
}

const ALPINE_RELEASE =
  'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n';

/** An Alpine-like image: two apk packages. */
export function alpineFiles(): Record<string, string> {
  return {
    'etc/os-release': ALPINE_RELEASE,
    'lib/apk/db/installed':
      'P:musl\nV:1.2.5-r0\nA:aarch64\no:musl\n\nP:zlib\nV:1.3.1-r1\nA:aarch64\no:zlib\n',
  };
}

export const ALPINE_PURLS = [
  'pkg:apk/alpine/musl@1.2.5-r0?arch=aarch64&distro=3.20.3',
  'pkg:apk/alpine/zlib@1.3.1-r1?arch=aarch64&distro=3.20.3',
];
