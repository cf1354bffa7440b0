import { ParseError } from '../../errors.js';
import type { BlobRead } from './ndb.js';

/**
 * rpm's BerkeleyDB backend, `Packages`: a Berkeley DB hash database (libdb dbinc/db_page.h).
 * - Page 0 is the hash metadata page: magic 0x061561 at byte 12 (in the writer's byte order,
 *   which is how the order is told), page size at 20, encryption at 24, type 8 at 25, last page
 *   number at 32.
 * - Every page starts with a 26-byte header: next page number at 16, entry count at 20,
 *   `hf_offset` at 22 and page type at 25.
 * - Hash pages (type 13, or 2 for the old unsorted kind) hold an index of 16-bit item offsets
 *   after the header; items alternate key, value. Values are H_KEYDATA (1: the bytes follow the
 *   type byte, up to the previous item) or H_OFFPAGE (3: first overflow page at +4, total
 *   length at +8).
 * - Overflow pages (type 7) carry `hf_offset` bytes of data after their header and chain
 *   through the next page number.
 */
const HASH_MAGIC = 0x061561;
const PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);
const PAGE_HEADER = 26;
const TYPE_HASH_UNSORTED = 2;
const TYPE_OVERFLOW = 7;
const TYPE_HASH_META = 8;
const TYPE_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
/** rpm header blobs are at least two counts and one index entry. */
const MIN_BLOB = 24;

interface Db {
  readonly data: Buffer;
  readonly pageSize: number;
  readonly pages: number;
  /** Overflow bytes left to read: forged chains shared by many items must not loop for long. */
  budget: number;
  u32(offset: number): number;
  u16(offset: number): number;
}

export function isBdb(data: Buffer): boolean {
  return (
    data.length >= 512 &&
    (data.readUInt32LE(12) === HASH_MAGIC || data.readUInt32BE(12) === HASH_MAGIC)
  );
}

export function readBdbBlobs(data: Buffer, maxPackages: number): BlobRead {
  const db = openDb(data);
  const blobs: Buffer[] = [];
  let damaged = 0;
  for (let page = 1; page < db.pages; page += 1) {
    const start = page * db.pageSize;
    const type = data[start + 25];
    if (type !== TYPE_HASH && type !== TYPE_HASH_UNSORTED) continue;

    for (const value of pageValues(db, start)) {
      if (value === undefined) damaged += 1;
      else if (value.length >= MIN_BLOB) blobs.push(value);
      if (blobs.length > maxPackages) {
        throw new ParseError(`rpm BerkeleyDB database lists more than ${maxPackages} packages`);
      }
    }
  }
  return { blobs, damaged };
}

function openDb(data: Buffer): Db {
  if (!isBdb(data)) throw new ParseError('rpm BerkeleyDB database lacks the hash magic');
  const little = data.readUInt32LE(12) === HASH_MAGIC;
  const u32 = (offset: number): number =>
    little ? data.readUInt32LE(offset) : data.readUInt32BE(offset);
  const u16 = (offset: number): number =>
    little ? data.readUInt16LE(offset) : data.readUInt16BE(offset);

  const pageSize = u32(20);
  if (!PAGE_SIZES.has(pageSize)) throw new ParseError(`rpm BerkeleyDB page size ${pageSize}`);
  if (data[24] !== 0) throw new ParseError('rpm BerkeleyDB database is encrypted');
  if (data[25] !== TYPE_HASH_META) throw new ParseError('rpm BerkeleyDB is not a hash database');

  const lastPage = u32(32);
  const pages = Math.floor(data.length / pageSize);
  if (lastPage >= pages) {
    throw new ParseError(`rpm BerkeleyDB names page ${lastPage} but holds ${pages} (truncated)`);
  }
  // Honest databases read each overflow page once; four times the file is generous.
  return { data, pageSize, pages: lastPage + 1, budget: 4 * data.length, u32, u16 };
}

/** The value items of one hash page; undefined for a value whose data is damaged. */
function pageValues(db: Db, start: number): (Buffer | undefined)[] {
  const entries = db.u16(start + 20);
  if (PAGE_HEADER + entries * 2 > db.pageSize) return [undefined];

  const values: (Buffer | undefined)[] = [];
  for (let index = 1; index < entries; index += 2) {
    const offset = db.u16(start + PAGE_HEADER + index * 2);
    const end = db.u16(start + PAGE_HEADER + (index - 1) * 2);
    values.push(readItem(db, start, offset, end));
  }
  return values;
}

function readItem(db: Db, page: number, offset: number, end: number): Buffer | undefined {
  if (offset < PAGE_HEADER || offset >= db.pageSize || end > db.pageSize || end <= offset) return;
  const type = db.data[page + offset];
  if (type === H_KEYDATA) return db.data.subarray(page + offset + 1, page + end);
  if (type !== H_OFFPAGE || offset + 12 > db.pageSize) return undefined;
  return readOverflow(db, db.u32(page + offset + 4), db.u32(page + offset + 8));
}

/** Follows an overflow chain; the page count bounds one walk and the budget bounds them all. */
function readOverflow(db: Db, first: number, length: number): Buffer | undefined {
  if (length > db.budget) {
    throw new ParseError('rpm BerkeleyDB overflow chains claim more data than the file holds');
  }
  db.budget -= length;

  const chunks: Buffer[] = [];
  let written = 0;
  let page = first;
  for (let hops = 0; written < length && page !== 0 && hops < db.pages; hops += 1) {
    if (page >= db.pages) return undefined;
    const start = page * db.pageSize;
    if (db.data[start + 25] !== TYPE_OVERFLOW) return undefined;

    const onPage = Math.min(db.u16(start + 22), db.pageSize - PAGE_HEADER, length - written);
    chunks.push(db.data.subarray(start + PAGE_HEADER, start + PAGE_HEADER + onPage));
    written += onPage;
    page = db.u32(start + 16);
  }
  return written === length ? Buffer.concat(chunks) : undefined;
}
