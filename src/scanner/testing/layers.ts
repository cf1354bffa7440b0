/**
 * Builders for test images: tar layers written with tar-stream, compressed with zlib or the
 * zstd CLI, wrapped as LayerSource. Test support only; nothing here reads outside data.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { ImageSource, LayerSource } from '../types.js';

export interface TarEntry {
  readonly path: string;
  readonly content?: string | Buffer;
  readonly type?: 'file' | 'symlink' | 'link' | 'directory' | 'fifo' | 'character-device';
  readonly linkname?: string;
}

export async function tarLayer(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack);
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const header = {
      name: entry.path,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
    };
    if (type === 'file') pack.entry(header, entry.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

/** Compresses with the zstd CLI (Debian package `zstd`), as image builders do. */
export function zstd(data: Buffer, ...flags: string[]): Buffer {
  return execFileSync('zstd', ['-q', '-c', ...flags], { input: data, maxBuffer: 1 << 30 });
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A layer over an in-memory blob, streamed in small chunks to exercise chunk boundaries. */
export function layerSource(
  blob: Buffer,
  options: { digest?: string; chunk?: number } = {},
): LayerSource {
  const chunk = options.chunk ?? 4093;
  return {
    digest: options.digest ?? sha256(blob),
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    open: () => Readable.from(split(blob, chunk)),
  };
}

function* split(blob: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < blob.length; offset += size)
    yield blob.subarray(offset, offset + size);
}

/** An image of uncompressed tar layers with a config that lists their diff IDs. */
export async function imageOf(
  name: string,
  layers: readonly (readonly TarEntry[])[],
): Promise<ImageSource> {
  const blobs = await Promise.all(layers.map((entries) => tarLayer(entries)));
  const config = { rootfs: { type: 'layers', diff_ids: blobs.map(sha256) } };
  return { name, config: JSON.stringify(config), layers: blobs.map((blob) => layerSource(blob)) };
}
