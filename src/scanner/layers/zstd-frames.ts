/**
 * Walks the frame and block structure of a zstd stream without decompressing it, so that a frame
 * asking for a huge window is refused before the decoder allocates that window. Layout facts
 * from RFC 8878 (Zstandard), sections 3.1.1 (frames), 3.1.1.1 (frame header), 3.1.1.2 (blocks)
 * and 3.1.2 (skippable frames).
 */

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK_SIZE = 128 * 1024;
const RESERVED_BLOCK_TYPE = 3;
const RLE_BLOCK_TYPE = 1;

type State = 'magic' | 'skippableSize' | 'descriptor' | 'header' | 'block';

export class ZstdFrameError extends Error {}

export class ZstdFrameGuard {
  private state: State = 'magic';
  private need = 4;
  private pending: number[] = [];
  private skip = 0;
  private descriptor = 0;
  private checksum = false;

  constructor(private readonly maxWindowBytes: number) {}

  /** Feeds the next compressed bytes; throws when the structure is invalid or too demanding. */
  scan(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, chunk.length - offset);
        this.skip -= step;
        offset += step;
        continue;
      }
      const byte = chunk[offset] ?? 0;
      offset += 1;
      this.pending.push(byte);
      if (this.pending.length === this.need) this.advance();
    }
  }

  /** Throws when the stream stopped in the middle of a frame. */
  end(): void {
    if (this.state !== 'magic' || this.pending.length > 0 || this.skip > 0) {
      throw new ZstdFrameError('zstd stream ends inside a frame (truncated)');
    }
  }

  private advance(): void {
    const bytes = this.pending;
    this.pending = [];
    switch (this.state) {
      case 'magic':
        this.onMagic(le32(bytes));
        return;
      case 'skippableSize':
        this.skip = le32(bytes);
        this.expect('magic', 4);
        return;
      case 'descriptor':
        this.onDescriptor(bytes[0] ?? 0);
        return;
      case 'header':
        this.onHeader(bytes);
        return;
      case 'block':
        this.onBlock(bytes);
        return;
    }
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
  }

  private onMagic(magic: number): void {
    if (magic === ZSTD_MAGIC) this.expect('descriptor', 1);
    else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) this.expect('skippableSize', 4);
    else throw new ZstdFrameError('bytes after a zstd frame are not another frame');
  }

  private onDescriptor(descriptor: number): void {
    if ((descriptor & 0x08) !== 0) throw new ZstdFrameError('zstd frame header reserved bit set');
    this.descriptor = descriptor;
    this.checksum = (descriptor & 0x04) !== 0;
    this.expect('header', headerLength(descriptor));
    if (this.need === 0) this.onHeader([]);
  }

  private onHeader(bytes: readonly number[]): void {
    const window = windowSize(this.descriptor, bytes);
    if (window > this.maxWindowBytes) {
      throw new ZstdFrameError(
        `zstd frame asks for a ${window}-byte window, more than the ${this.maxWindowBytes} allowed`,
      );
    }
    this.expect('block', 3);
  }

  private onBlock(bytes: readonly number[]): void {
    const header = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16);
    const last = (header & 1) === 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === RESERVED_BLOCK_TYPE) throw new ZstdFrameError('zstd block of reserved type');
    if (size > MAX_BLOCK_SIZE) throw new ZstdFrameError(`zstd block of ${size} bytes`);

    this.skip = type === RLE_BLOCK_TYPE ? 1 : size;
    if (!last) return;
    if (this.checksum) this.skip += 4;
    this.expect('magic', 4);
  }
}

function le32(bytes: readonly number[]): number {
  return (
    ((bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16)) +
    (bytes[3] ?? 0) * 0x1000000
  );
}

/** Bytes of the frame header after the descriptor: window byte, dictionary ID, content size. */
function headerLength(descriptor: number): number {
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
  return (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes(descriptor);
}

function contentSizeBytes(descriptor: number): number {
  const flag = descriptor >> 6;
  if (flag === 0) return (descriptor & 0x20) !== 0 ? 1 : 0;
  return [0, 2, 4, 8][flag] ?? 0;
}

function windowSize(descriptor: number, header: readonly number[]): number {
  if ((descriptor & 0x20) === 0) {
    const windowByte = header[0] ?? 0;
    const base = 2 ** (10 + (windowByte >> 3));
    return base + (base / 8) * (windowByte & 7);
  }
  // A single-segment frame's window is its whole content, read little-endian.
  const sizeBytes = contentSizeBytes(descriptor);
  const start = header.length - sizeBytes;
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i -= 1) size = size * 256 + (header[start + i] ?? 0);
  return sizeBytes === 2 ? size + 256 : size;
}
