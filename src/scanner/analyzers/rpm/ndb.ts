import { ParseError } from '../../errors.js';
import { adler32 } from './adler32.js';

/**
 * rpm's NDB backend, `Packages.db` (rpm lib/backend/ndb/rpmpkg.c), all little-endian:
 * - a 32-byte file header: magic "RpmP", version 0, generation, number of slot pages, next index;
 * - slot pages of 4096 bytes right after it (the header takes the first two 16-byte slots):
 *   each slot is magic "Slot", package index (0 = free), block offset, block count;
 * - blobs addressed in 16-byte blocks: magic "BlbS", package index, generation, length, the
 *   header blob itself, and a 12-byte tail: adler32 of everything before it, length, "BlbE".
 */
const HEADER_MAGIC = 0x506d7052;
const SLOT_MAGIC = 0x746f6c53;
const BLOB_MAGIC = 0x53626c42;
const TAIL_MAGIC = 0x45626c42;
const PAGE = 4096;
const SLOT = 16;
const BLOCK = 16;
const BLOB_HEAD = 16;
const BLOB_TAIL = 12;

export function isNdb(data: Buffer): boolean {
  return data.length >= 32 && data.readUInt32LE(0) === HEADER_MAGIC;
}

export interface BlobRead {
  readonly blobs: Buffer[];
  /** Entries that pointed at damaged or inconsistent data and were left out. */
  readonly damaged: number;
}

export function readNdbBlobs(data: Buffer, maxPackages: number): BlobRead {
  if (!isNdb(data) || data.readUInt32LE(4) !== 0) {
    throw new ParseError('rpm NDB database has a bad magic or version');
  }
  const slotPages = data.readUInt32LE(12);
  if (slotPages === 0 || slotPages * PAGE > data.length) {
    throw new ParseError(`rpm NDB database claims ${slotPages} slot pages in ${data.length} bytes`);
  }

  const blobs: Buffer[] = [];
  let damaged = 0;
  for (let offset = 2 * SLOT; offset < slotPages * PAGE; offset += SLOT) {
    if (data.readUInt32LE(offset) !== SLOT_MAGIC)
      throw new ParseError('rpm NDB slot has a bad magic');
    const index = data.readUInt32LE(offset + 4);
    if (index === 0) continue;

    const blob = readBlob(
      data,
      index,
      data.readUInt32LE(offset + 8),
      data.readUInt32LE(offset + 12),
    );
    if (blob === undefined) damaged += 1;
    else blobs.push(blob);
    if (blobs.length > maxPackages) {
      throw new ParseError(`rpm NDB database lists more than ${maxPackages} packages`);
    }
  }
  return { blobs, damaged };
}

function readBlob(
  data: Buffer,
  index: number,
  blockOffset: number,
  blockCount: number,
): Buffer | undefined {
  const start = blockOffset * BLOCK;
  const size = blockCount * BLOCK;
  if (size < BLOB_HEAD + BLOB_TAIL || start + size > data.length) return undefined;
  if (data.readUInt32LE(start) !== BLOB_MAGIC || data.readUInt32LE(start + 4) !== index) return;

  const length = data.readUInt32LE(start + 12);
  const tail = start + size - BLOB_TAIL;
  if (BLOB_HEAD + length + BLOB_TAIL > size) return undefined;
  if (data.readUInt32LE(tail + 8) !== TAIL_MAGIC || data.readUInt32LE(tail + 4) !== length) return;
  if (adler32(data.subarray(start, tail)) !== data.readUInt32LE(tail)) return undefined;
  return data.subarray(start + BLOB_HEAD, start + BLOB_HEAD + length);
}
