import { ParseError } from '../../errors.js';

/**
 * The rpm header structure that every rpmdb backend stores per package (rpm's
 * doc/manual/format.md, "Header"): two big-endian 32-bit counts, `il` index entries and `dl`
 * data bytes, then `il` entries of 16 bytes (tag, type, offset into the data, count), then the
 * data. In a database the 8-byte magic that precedes headers in package files is absent.
 */
export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

const ENTRY_SIZE = 16;
/** rpm refuses headers with more tags or data than this (lib/header.c, hdrchkTags/hdrchkData). */
const MAX_TAGS = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

export interface RpmRecord {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly arch?: string;
  readonly sourceRpm?: string;
}

interface Entry {
  readonly type: number;
  readonly offset: number;
  readonly count: number;
}

/** Reads the identifying tags of one header blob; throws ParseError on any inconsistency. */
export function parseRpmHeader(blob: Buffer): RpmRecord {
  const entries = readIndex(blob);
  const start = 8 + entries.count * ENTRY_SIZE;
  const data = blob.subarray(start, start + entries.dataLength);
  const text = (tag: number): string | undefined => readString(entries.byTag.get(tag), data, tag);

  const name = text(TAG.NAME);
  const version = text(TAG.VERSION);
  const release = text(TAG.RELEASE);
  if (name === undefined || version === undefined || release === undefined) {
    throw new ParseError('rpm header lacks name, version or release');
  }

  const epoch = readInt32(entries.byTag.get(TAG.EPOCH), data);
  const arch = text(TAG.ARCH);
  const sourceRpm = text(TAG.SOURCERPM);
  return {
    name,
    version,
    release,
    ...(epoch === undefined ? {} : { epoch }),
    ...(arch === undefined ? {} : { arch }),
    ...(sourceRpm === undefined ? {} : { sourceRpm }),
  };
}

interface Index {
  readonly count: number;
  readonly dataLength: number;
  readonly byTag: ReadonlyMap<number, Entry>;
}

function readIndex(blob: Buffer): Index {
  if (blob.length < 8) throw new ParseError(`rpm header of ${blob.length} bytes is too short`);
  const count = blob.readUInt32BE(0);
  const dataLength = blob.readUInt32BE(4);
  if (count === 0 || count > MAX_TAGS || dataLength > MAX_DATA) {
    throw new ParseError(`rpm header claims ${count} tags and ${dataLength} data bytes`);
  }
  if (8 + count * ENTRY_SIZE + dataLength > blob.length) {
    throw new ParseError(`rpm header claims more bytes than its ${blob.length}`);
  }

  const byTag = new Map<number, Entry>();
  for (let index = 0; index < count; index += 1) {
    const at = 8 + index * ENTRY_SIZE;
    const tag = blob.readUInt32BE(at);
    const entry = {
      type: blob.readUInt32BE(at + 4),
      offset: blob.readInt32BE(at + 8),
      count: blob.readUInt32BE(at + 12),
    };
    if (!byTag.has(tag)) byTag.set(tag, entry);
  }
  return { count, dataLength, byTag };
}

function readString(entry: Entry | undefined, data: Buffer, tag: number): string | undefined {
  if (entry === undefined) return undefined;
  const stringTypes = [TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING];
  if (!stringTypes.includes(entry.type) || entry.count === 0) {
    throw new ParseError(`rpm header tag ${tag} has type ${entry.type}, not a string`);
  }
  if (entry.offset < 0 || entry.offset >= data.length) {
    throw new ParseError(`rpm header tag ${tag} points outside the data`);
  }
  const end = data.indexOf(0, entry.offset);
  if (end < 0) throw new ParseError(`rpm header tag ${tag} string is not terminated`);
  return data.toString('utf8', entry.offset, end);
}

function readInt32(entry: Entry | undefined, data: Buffer): number | undefined {
  if (entry === undefined) return undefined;
  if (entry.type !== TYPE_INT32 || entry.count === 0) {
    throw new ParseError(`rpm header epoch has type ${entry.type}, not int32`);
  }
  if (entry.offset < 0 || entry.offset + 4 > data.length) {
    throw new ParseError('rpm header epoch points outside the data');
  }
  return data.readUInt32BE(entry.offset);
}
