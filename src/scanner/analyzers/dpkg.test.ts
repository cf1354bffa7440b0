import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ParseError } from '../errors.js';
import { dpkgPurl, parseDpkgStatus } from './dpkg.js';

const STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

describe('parseDpkgStatus', () => {
  test('lists installed packages with their source package and skips removed ones', () => {
    assert.deepEqual(parseDpkgStatus(Buffer.from(STATUS), 100), [
      {
        name: 'libc6',
        version: '2.36-9+deb12u4',
        arch: 'amd64',
        sourceName: 'glibc',
        sourceVersion: '2.36-9+deb12u4',
      },
      {
        name: 'libssl3',
        version: '3.0.11-1~deb12u2+b1',
        arch: 'amd64',
        sourceName: 'openssl',
        sourceVersion: '3.0.11-1~deb12u2',
      },
      {
        name: 'tzdata',
        version: '2024a-0+deb12u1',
        arch: 'all',
        sourceName: 'tzdata',
        sourceVersion: '2024a-0+deb12u1',
      },
    ]);
  });

  test('takes distroless status.d entries without a Status field as installed', () => {
    const entry = 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n';
    assert.equal(parseDpkgStatus(Buffer.from(entry), 100)[0]?.name, 'base-files');
  });

  test('refuses binary garbage, malformed lines and too many packages with ParseError', () => {
    assert.throws(() => parseDpkgStatus(Buffer.from([0x7f, 0x45, 0, 1]), 100), ParseError);
    assert.throws(() => parseDpkgStatus(Buffer.from('Package libc6\n'), 100), /line 1/);
    assert.throws(() => parseDpkgStatus(Buffer.from(STATUS), 2), /more than 2 packages/);
  });

  test('any text gives packages or a ParseError, never another exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          for (const record of parseDpkgStatus(Buffer.from(STATUS + text), 100)) {
            assert.ok(record.name !== '' && record.version !== '');
          }
        } catch (err: unknown) {
          assert.ok(err instanceof ParseError, String(err));
        }
      }),
    );
  });
});

test('dpkg purls carry the distribution and architecture and encode the epoch colon as is', () => {
  const record = {
    name: 'libssl3',
    version: '1:3.0.11+b1',
    arch: 'amd64',
    sourceName: 'openssl',
    sourceVersion: '1',
  };
  const os = { family: 'debian', name: 'Debian', version: '12' };
  assert.equal(
    dpkgPurl(record, os),
    'pkg:deb/debian/libssl3@1:3.0.11%2Bb1?arch=amd64&distro=debian-12',
  );
});
