import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { chainId, ImageConfigError, topChainIdFromConfig } from './image-chain.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;

function sha(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function config(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

describe('layer chain IDs', () => {
  test('one layer is its own chain ID', () => {
    assert.equal(chainId([A]), A);
  });

  test('each further layer hashes the chain so far, a space and its diff ID', () => {
    const ab = sha(`${A} ${B}`);
    assert.equal(chainId([A, B]), ab);
    assert.equal(chainId([A, B, C]), sha(`${ab} ${C}`));
  });

  test('layer order matters', () => {
    assert.notEqual(chainId([A, B]), chainId([B, A]));
  });

  test('an image without layers has no chain', () => {
    assert.equal(chainId([]), undefined);
    assert.equal(topChainIdFromConfig('img', config({ rootfs: { diff_ids: [] } })), undefined);
  });

  test('the top chain ID is read from rootfs.diff_ids of the config', () => {
    const cfg = config({ architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [A, B] } });
    assert.equal(topChainIdFromConfig('img', cfg), sha(`${A} ${B}`));
  });
});

describe('hostile image configs', () => {
  const bad: [string, Uint8Array][] = [
    ['not JSON', Buffer.from('{"rootfs":')],
    ['a JSON array', config([A])],
    ['no rootfs', config({ architecture: 'amd64' })],
    ['diff_ids not an array', config({ rootfs: { diff_ids: A } })],
    ['a diff ID that is no digest', config({ rootfs: { diff_ids: [A, 'sha256:zz'] } })],
    ['a diff ID that is a number', config({ rootfs: { diff_ids: [7] } })],
    [
      'a diff ID of another algorithm',
      config({ rootfs: { diff_ids: [`sha512:${'a'.repeat(128)}`] } }),
    ],
  ];
  for (const [name, blob] of bad) {
    test(`a config with ${name} is an error naming the image`, () => {
      assert.throws(
        () => topChainIdFromConfig('sha256:feed', blob),
        (err: unknown) => err instanceof ImageConfigError && err.message.includes('sha256:feed'),
      );
    });
  }

  test('arbitrary bytes give a chain ID, undefined or an ImageConfigError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array(), fc.jsonValue().map(config)), (blob) => {
        try {
          const out = topChainIdFromConfig('img', blob);
          return out === undefined || /^sha256:[0-9a-f]{64}$/.test(out);
        } catch (err: unknown) {
          return err instanceof ImageConfigError;
        }
      }),
    );
  });
});
