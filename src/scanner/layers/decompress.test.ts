import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { zstd } from '../testing/layers.js';
import { decompressStage, sniffCompression, type Compression } from './decompress.js';
import { ZstdFrameGuard } from './zstd-frames.js';

async function run(input: Buffer, maxWindow = 128 * 1024 * 1024, chunk = 1000): Promise<Buffer> {
  let kind: Compression | undefined;
  const stage = decompressStage(maxWindow, (k) => (kind = k));
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const part of stage(Readable.from(parts))) out.push(part);
  assert.ok(kind !== undefined);
  return Buffer.concat(out);
}

describe('decompressStage', () => {
  // Mixed content: compressible text and incompressible noise, several zstd blocks long.
  const original = Buffer.concat([
    Buffer.from('hello layer '.repeat(40_000)),
    randomBytes(300_000),
  ]);

  test('sniffs gzip, zstd and plain tar from the first bytes', () => {
    assert.equal(sniffCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(sniffCompression(Buffer.from('usr/')), 'none');
  });

  test('round-trips zstd written by the zstd CLI, with and without checksums', async () => {
    assert.ok((await run(zstd(original))).equals(original));
    assert.ok((await run(zstd(original, '--no-check', '-19'), undefined, 7)).equals(original));
  });

  test('reads several concatenated zstd frames and skippable frames', async () => {
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const input = Buffer.concat([zstd(Buffer.from('one ')), skippable, zstd(Buffer.from('two'))]);
    assert.equal((await run(input)).toString(), 'one two');
  });

  test('refuses a zstd frame whose window is larger than allowed', async () => {
    const input = zstd(original, '--long=27');
    await assert.rejects(run(input, 1024 * 1024), /window/);
  });

  test('fails on truncated zstd and gzip streams', async () => {
    const z = zstd(original);
    await assert.rejects(run(z.subarray(0, z.length - 100)));
    const { gzipSync } = await import('node:zlib');
    const g = gzipSync(original);
    await assert.rejects(run(g.subarray(0, g.length - 100)));
  });

  test('passes plain input through unchanged, including empty input', async () => {
    assert.ok((await run(original)).equals(original));
    assert.equal((await run(Buffer.alloc(0))).length, 0);
  });

  test('garbage after a zstd magic fails with an error, never a hang or a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const input = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), bytes]);
        try {
          await run(input, 1024 * 1024, 17);
        } catch (err: unknown) {
          assert.ok(err instanceof Error);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ZstdFrameGuard', () => {
  test('accepts the frame structure of real zstd output fed one byte at a time', () => {
    const guard = new ZstdFrameGuard(128 * 1024 * 1024);
    for (const byte of zstd(Buffer.from('x'.repeat(500_000)))) guard.scan(Buffer.from([byte]));
    guard.end();
  });

  test('refuses a single-segment frame that declares a 2 GiB content size', () => {
    // Descriptor 0xe0: 8-byte content size, single segment; then the size, little-endian.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0x80, 0, 0, 0, 0]);
    assert.throws(() => {
      new ZstdFrameGuard(1 << 27).scan(header);
    }, /window/);
  });
});
