import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ParseError } from '../errors.js';
import { apkPurl, parseApkInstalled } from './apk.js';

const INSTALLED = `C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
S:383152
o:musl
m:Natanael Copa
F:lib
R:ld-musl-x86_64.so.1

C:Q1def=
P:libcrypto3
V:3.3.2-r0
A:x86_64
o:openssl
F:usr/lib
R:libcrypto.so.3
`;

describe('parseApkInstalled', () => {
  test('reads name, version, arch and origin of each package', () => {
    assert.deepEqual(parseApkInstalled(Buffer.from(INSTALLED), 100), [
      { name: 'musl', version: '1.2.5-r0', arch: 'x86_64', origin: 'musl' },
      { name: 'libcrypto3', version: '3.3.2-r0', arch: 'x86_64', origin: 'openssl' },
    ]);
  });

  test('refuses lines that are not K:value and too many packages', () => {
    assert.throws(() => parseApkInstalled(Buffer.from('P:musl\nbogus\n'), 100), /line 2/);
    assert.throws(() => parseApkInstalled(Buffer.from(INSTALLED), 1), /more than 1 packages/);
  });

  test('random bytes give packages or a ParseError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          parseApkInstalled(Buffer.concat([Buffer.from(INSTALLED), bytes]), 100);
        } catch (err: unknown) {
          assert.ok(err instanceof ParseError, String(err));
        }
      }),
    );
  });
});

test('apk purls name the distribution release', () => {
  const os = { family: 'alpine', name: 'Alpine Linux v3.20', version: '3.20.3' };
  assert.equal(
    apkPurl({ name: 'libcrypto3', version: '3.3.2-r0', arch: 'x86_64' }, os),
    'pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=3.20.3',
  );
});
