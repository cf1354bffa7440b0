/**
 * Checks a SQLite write-ahead log (`-wal`) the way SQLite's recovery reads it
 * (sqlite.org/fileformat2.html, "The WAL File Format"), to tell before replaying it whether it
 * holds committed transactions and whether part of it is damaged. SQLite itself skips a bad
 * header or a bad frame silently; an inventory must say when it read less than the image holds.
 *
 * Layout, all integers big-endian: a 32-byte header (magic 0x377f0682 or 0x377f0683, format
 * 3007000, page size, checkpoint sequence, two salts, two checksums over the first 24 bytes),
 * then frames of a 24-byte header (page number, database size in pages for the frame that
 * commits a transaction and 0 otherwise, the two salts again, two cumulative checksums) and one
 * page. A frame counts while its salts match the header and its checksum continues the chain;
 * a transaction counts from its commit frame.
 */

const HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
const MAGIC_LITTLE_ENDIAN_SUMS = 0x377f0682;
const MAGIC_BIG_ENDIAN_SUMS = 0x377f0683;
const FORMAT_VERSION = 3007000;

export interface WalCheck {
  /** Frames up to the last commit frame: what SQLite replays. */
  readonly committedFrames: number;
  /** Why some or all of the log will not be read, when that is damage rather than routine. */
  readonly problem?: string;
}

/**
 * Never throws: every answer about outside bytes is a value. `dbPageSize` is the database's
 * own page size; a log of another size belongs to another database.
 */
export function checkWal(wal: Buffer, dbPageSize: number): WalCheck {
  if (wal.length === 0) return { committedFrames: 0 };
  const header = checkHeader(wal);
  if (typeof header === 'string') return { committedFrames: 0, problem: header };
  if (header.pageSize !== dbPageSize) {
    const problem = `WAL page size ${header.pageSize} differs from the database's ${dbPageSize}`;
    return { committedFrames: 0, problem };
  }
  return walkFrames(wal, header);
}

interface WalHeader {
  readonly pageSize: number;
  readonly bigEndianSums: boolean;
  readonly salts: Buffer;
  readonly sums: readonly [number, number];
}

function checkHeader(wal: Buffer): WalHeader | string {
  if (wal.length < HEADER_BYTES) return `${wal.length} bytes, shorter than the WAL header`;
  const magic = wal.readUInt32BE(0);
  if (magic !== MAGIC_LITTLE_ENDIAN_SUMS && magic !== MAGIC_BIG_ENDIAN_SUMS) {
    return 'no WAL magic number: not a SQLite write-ahead log';
  }
  const version = wal.readUInt32BE(4);
  if (version !== FORMAT_VERSION) return `WAL format ${version}, expected ${FORMAT_VERSION}`;

  const pageSize = wal.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    return `WAL page size ${pageSize} is not a power of two from 512 to 65536`;
  }
  const bigEndianSums = magic === MAGIC_BIG_ENDIAN_SUMS;
  const sums = checksum(wal.subarray(0, 24), bigEndianSums, [0, 0]);
  if (sums[0] !== wal.readUInt32BE(24) || sums[1] !== wal.readUInt32BE(28)) {
    return 'WAL header fails its checksum';
  }
  return { pageSize, bigEndianSums, salts: wal.subarray(16, 24), sums };
}

function walkFrames(wal: Buffer, header: WalHeader): WalCheck {
  const frameBytes = FRAME_HEADER_BYTES + header.pageSize;
  let sums = header.sums;
  let committedFrames = 0;
  let frame = 0;
  for (let at = HEADER_BYTES; at + frameBytes <= wal.length; at += frameBytes) {
    const frameHeader = wal.subarray(at, at + FRAME_HEADER_BYTES);
    // Frames with other salts are left from before a checkpoint restarted the log: routine.
    if (!frameHeader.subarray(8, 16).equals(header.salts)) return { committedFrames };

    frame += 1;
    sums = frameSums(wal.subarray(at, at + frameBytes), header.bigEndianSums, sums);
    const fault = frameFault(frameHeader, sums);
    if (fault !== undefined) return damaged(committedFrames, `frame ${frame} ${fault}`);
    if (frameHeader.readUInt32BE(4) !== 0) committedFrames = frame;
  }

  const rest = (wal.length - HEADER_BYTES) % frameBytes;
  if (rest === 0) return { committedFrames };
  return damaged(committedFrames, `it ends ${rest} bytes into frame ${frame + 1} (truncated)`);
}

/** The running sums after a frame: its header's first 8 bytes, then its page. */
function frameSums(
  frame: Buffer,
  bigEndian: boolean,
  start: readonly [number, number],
): [number, number] {
  const sums = checksum(frame.subarray(0, 8), bigEndian, start);
  return checksum(frame.subarray(FRAME_HEADER_BYTES), bigEndian, sums);
}

function frameFault(frameHeader: Buffer, sums: readonly [number, number]): string | undefined {
  if (sums[0] !== frameHeader.readUInt32BE(16) || sums[1] !== frameHeader.readUInt32BE(20)) {
    return 'fails its checksum (torn, altered, or left by a rolled-back write)';
  }
  return frameHeader.readUInt32BE(0) === 0 ? 'names page 0' : undefined;
}

function damaged(committedFrames: number, why: string): WalCheck {
  const kept = `${committedFrames} committed frames before it are read`;
  return { committedFrames, problem: `${why}; it and what follows are ignored, ${kept}` };
}

/** SQLite's WAL checksum: two running 32-bit sums over pairs of 32-bit words. */
function checksum(
  data: Buffer,
  bigEndian: boolean,
  start: readonly [number, number],
): [number, number] {
  let [s0, s1] = start;
  for (let at = 0; at + 8 <= data.length; at += 8) {
    const x0 = bigEndian ? data.readUInt32BE(at) : data.readUInt32LE(at);
    const x1 = bigEndian ? data.readUInt32BE(at + 4) : data.readUInt32LE(at + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
