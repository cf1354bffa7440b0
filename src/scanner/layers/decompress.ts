import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { ZstdFrameGuard } from './zstd-frames.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export type DecompressStage = (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>;

/** Input slice fed to the zstd decoder at a time: bounds what one push can produce (see below). */
const ZSTD_SLICE = 1024;

/** Detects the compression from the first bytes: media types are often wrong in the wild. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * A pipeline stage that sniffs the compression of its input and yields the decompressed bytes.
 * `onCompression` reports what was detected, for the layer summary and for errors.
 */
export function decompressStage(
  maxZstdWindowBytes: number,
  onCompression: (kind: Compression) => void,
): DecompressStage {
  return async function* decompress(source) {
    const iterator = source[Symbol.asyncIterator]();
    const head = await readHead(iterator, 4);
    const kind = sniffCompression(head);
    onCompression(kind);
    const rest = prepend(head, iterator);
    if (kind === 'gzip') yield* gunzip(rest);
    else if (kind === 'zstd') yield* unzstd(rest, maxZstdWindowBytes);
    else yield* rest;
  };
}

async function readHead(iterator: AsyncIterator<Buffer>, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const next = await iterator.next();
    if (next.done === true) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  return Buffer.concat(chunks);
}

async function* prepend(head: Buffer, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}

async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const output = pipeline(Readable.from(source), createGunzip(), () => undefined);
  for await (const chunk of output) yield chunk as Buffer;
}

/**
 * Streams zstd through fzstd. fzstd decodes every complete block of what it is given in one
 * call, and a 4-byte RLE block can stand for 128 KiB, so input goes in small slices: one call
 * then yields at most about (ZSTD_SLICE / 4 + 1) * 128 KiB (≈ 32 MiB).
 */
async function* unzstd(source: AsyncIterable<Buffer>, maxWindow: number): AsyncGenerator<Buffer> {
  const guard = new ZstdFrameGuard(maxWindow);
  let produced: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) produced.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  });

  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.length; offset += ZSTD_SLICE) {
      const slice = chunk.subarray(offset, offset + ZSTD_SLICE);
      guard.scan(slice);
      decoder.push(slice);
      yield* produced;
      produced = [];
    }
  }

  guard.end();
  decoder.push(new Uint8Array(0), true);
  yield* produced;
}
