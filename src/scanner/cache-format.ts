/**
 * On-disk form of cache entries (layer reads, the digest index, finished inventories). A file
 * is a fixed header (magic, format version, kind, payload length, sha256 of the payload)
 * followed by a length-prefixed binary payload. Decoding checks everything before trusting
 * anything, and never allocates from a declared length: the payload is sliced out of the file
 * already in memory.
 */
import { createHash } from 'node:crypto';
import { EraserError } from '../errors.js';
import type { Compression } from './layers/decompress.js';
import type { LayerContent, LayerLink } from './layers/layer-content.js';
import { PathHashes } from './layers/path-hashes.js';
import type { ScanWarning } from './types.js';

/**
 * Version of the entry format and of what a layer read keeps. Bump it when either changes (the
 * serialisation, the collector, an analyser's `wants`): older entries then read as foreign.
 * What analysers report from the same files is versioned apart (INVENTORY_RESULTS_VERSION).
 */
export const CACHE_FORMAT = 4;

const MAGIC = Buffer.from('ERASERLC', 'latin1');
/** Magic, version (u32), kind (u32), payload length (u64), payload sha256. */
export const HEADER_BYTES = MAGIC.length + 4 + 4 + 8 + 32;

export type EntryKind = 'layer' | 'index' | 'inventory';
const KIND_CODES: Readonly<Record<EntryKind, number>> = { layer: 1, index: 2, inventory: 3 };

const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'zstd'];
const HAS_LAYER = 1;
const HAS_PATH = 2;

/** Why an entry was refused; every reason makes the entry a miss. */
export type CacheFormatReason = 'truncated' | 'version' | 'hash' | 'malformed' | 'foreign';

/** A cache file that is not a valid entry of this format: read as a miss, never as data. */
export class CacheFormatError extends EraserError {
  declare readonly code: 'CACHE_ENTRY_INVALID';

  constructor(
    readonly reason: CacheFormatReason,
    message: string,
  ) {
    super('CACHE_ENTRY_INVALID', message, { reason });
  }
}

/** What the digest index records for a layer blob, learnt by reading it once. */
export interface IndexRecord {
  /** The blob digest, as stored. */
  readonly digest: string;
  /** The sha256 of its uncompressed tar. */
  readonly diffId: string;
  readonly compression: Compression;
}

/** Wraps a payload into an entry file: the header first, then the payload chunks unchanged. */
export function encodeEntry(kind: EntryKind, payload: readonly Buffer[]): Buffer[] {
  const hash = createHash('sha256');
  let length = 0;
  for (const chunk of payload) {
    hash.update(chunk);
    length += chunk.length;
  }

  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(CACHE_FORMAT, 8);
  header.writeUInt32BE(KIND_CODES[kind], 12);
  header.writeBigUInt64BE(BigInt(length), 16);
  hash.digest().copy(header, 24);
  return [header, ...payload];
}

/** Checks an entry file's header and payload hash, and returns the payload (a view, no copy). */
export function decodeEntry(kind: EntryKind, file: Buffer): Buffer {
  if (file.length < HEADER_BYTES) {
    throw new CacheFormatError('truncated', `${file.length} bytes, shorter than the header`);
  }
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CacheFormatError('foreign', 'not a layer cache entry (magic differs)');
  }
  const version = file.readUInt32BE(8);
  if (version !== CACHE_FORMAT) {
    throw new CacheFormatError('version', `format ${version}, expected ${CACHE_FORMAT}`);
  }
  if (file.readUInt32BE(12) !== KIND_CODES[kind]) {
    throw new CacheFormatError('foreign', `not a ${kind} entry`);
  }

  const declared = file.readBigUInt64BE(16);
  const payload = file.subarray(HEADER_BYTES);
  if (declared !== BigInt(payload.length)) {
    const message = `payload of ${payload.length} bytes, header declares ${declared}`;
    throw new CacheFormatError('truncated', message);
  }
  const expected = file.subarray(24, HEADER_BYTES);
  if (!createHash('sha256').update(payload).digest().equals(expected)) {
    throw new CacheFormatError('hash', 'payload does not match its sha256');
  }
  return payload;
}

/** Serialises a layer read under `key` (the analyser set and limits it was read with). */
export function encodeLayerPayload(key: string, content: LayerContent): Buffer[] {
  const out = new PayloadWriter();
  out.string(key);
  out.string(content.digest);
  out.string(content.diffId);
  out.u8(COMPRESSIONS.indexOf(content.compression));
  out.f64(content.entries);

  out.u32(content.files.size);
  for (const [path, data] of content.files) {
    out.string(path);
    out.bytes(data);
  }
  out.u32(content.links.size);
  for (const [path, link] of content.links) {
    out.string(path);
    out.string(link.target);
    out.u8(link.hard ? 1 : 0);
  }
  out.strings(content.whiteouts);
  out.strings(content.opaqueDirs);
  out.strings(content.unreadable);
  out.bytes(content.otherFiles.toBuffer());
  out.bytes(content.dirs.toBuffer());
  out.u32(content.warnings.length);
  for (const warning of content.warnings) writeWarning(out, warning);
  return out.finish();
}

/** Parses a layer payload; throws CacheFormatError on anything it did not write. */
export function decodeLayerPayload(payload: Buffer): { key: string; content: LayerContent } {
  const input = new PayloadReader(payload);
  const key = input.string();
  const digest = input.string();
  const diffId = input.string();
  const compression = readCompression(input);
  const entries = input.f64();
  if (!Number.isSafeInteger(entries) || entries < 0) {
    throw new CacheFormatError('malformed', `entry count ${entries} is not a count`);
  }

  const files = readMap(input, 8, () => input.bytes());
  const links = readMap(input, 9, () => readLink(input));
  const whiteouts = input.strings();
  const opaqueDirs = input.strings();
  const unreadable = input.strings();
  const otherFiles = readHashes(input);
  const dirs = readHashes(input);
  const warnings = input.list(9, () => readWarning(input));
  input.end();
  const content = { digest, diffId, compression, entries, files, links, whiteouts, opaqueDirs };
  return { key, content: { ...content, unreadable, otherFiles, dirs, warnings } };
}

export function encodeIndexPayload(record: IndexRecord): Buffer[] {
  const out = new PayloadWriter();
  out.string(record.digest);
  out.string(record.diffId);
  out.u8(COMPRESSIONS.indexOf(record.compression));
  return out.finish();
}

export function decodeIndexPayload(payload: Buffer): IndexRecord {
  const input = new PayloadReader(payload);
  const digest = input.string();
  const diffId = input.string();
  const compression = readCompression(input);
  input.end();
  return { digest, diffId, compression };
}

export function writeWarning(out: PayloadWriter, warning: ScanWarning): void {
  const flags =
    (warning.layer === undefined ? 0 : HAS_LAYER) | (warning.path === undefined ? 0 : HAS_PATH);
  out.u8(flags);
  out.string(warning.code);
  out.string(warning.message);
  if (warning.layer !== undefined) out.string(warning.layer);
  if (warning.path !== undefined) out.string(warning.path);
}

export function readWarning(input: PayloadReader): ScanWarning {
  const flags = input.u8();
  if (flags > (HAS_LAYER | HAS_PATH)) {
    throw new CacheFormatError('malformed', `warning flags ${flags} unknown`);
  }
  const warning: ScanWarning = { code: input.string(), message: input.string() };
  const layer = (flags & HAS_LAYER) === 0 ? {} : { layer: input.string() };
  const path = (flags & HAS_PATH) === 0 ? {} : { path: input.string() };
  return { ...warning, ...layer, ...path };
}

function readLink(input: PayloadReader): LayerLink {
  const target = input.string();
  const hard = input.u8();
  if (hard > 1) throw new CacheFormatError('malformed', `link kind ${hard} unknown`);
  return { target, hard: hard === 1 };
}

function readHashes(input: PayloadReader): PathHashes {
  const hashes = PathHashes.fromBuffer(input.bytes());
  if (hashes === undefined) {
    throw new CacheFormatError('malformed', 'path hashes are not sorted 8-byte values');
  }
  return hashes;
}

function readCompression(input: PayloadReader): Compression {
  const code = input.u8();
  const compression = COMPRESSIONS[code];
  if (compression === undefined) {
    throw new CacheFormatError('malformed', `compression code ${code} unknown`);
  }
  return compression;
}

/** A map of path to value; a repeated path means the payload was not written by us. */
function readMap<T>(input: PayloadReader, minItemBytes: number, value: () => T): Map<string, T> {
  const map = new Map<string, T>();
  const count = input.count(minItemBytes);
  for (let i = 0; i < count; i += 1) {
    const path = input.string();
    if (map.has(path)) throw new CacheFormatError('malformed', `path ${path} repeated`);
    map.set(path, value());
  }
  return map;
}

/** Small fields are gathered into shared blocks; large byte fields become chunks of their own. */
export class PayloadWriter {
  private static readonly BLOCK = 64 * 1024;
  private static readonly OWN_CHUNK = 4096;
  private readonly chunks: Buffer[] = [];
  private block = Buffer.allocUnsafe(PayloadWriter.BLOCK);
  private used = 0;

  u8(value: number): void {
    this.reserve(1);
    this.used = this.block.writeUInt8(value, this.used);
  }

  u32(value: number): void {
    this.reserve(4);
    this.used = this.block.writeUInt32BE(value, this.used);
  }

  f64(value: number): void {
    this.reserve(8);
    this.used = this.block.writeDoubleBE(value, this.used);
  }

  bytes(data: Buffer): void {
    this.u32(data.length);
    if (data.length >= PayloadWriter.OWN_CHUNK) {
      this.flush();
      this.chunks.push(data);
      return;
    }
    this.reserve(data.length);
    this.used += data.copy(this.block, this.used);
  }

  string(value: string): void {
    this.bytes(Buffer.from(value, 'utf8'));
  }

  strings(values: readonly string[]): void {
    this.u32(values.length);
    for (const value of values) this.string(value);
  }

  finish(): Buffer[] {
    this.flush();
    return this.chunks;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes > this.block.length) this.flush();
  }

  private flush(): void {
    if (this.used === 0) return;
    this.chunks.push(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafe(PayloadWriter.BLOCK);
    this.used = 0;
  }
}

/** Reads fields with a bounds check before each; lengths never exceed what is left. */
export class PayloadReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  u8(): number {
    return this.data.readUInt8(this.advance(1));
  }

  u32(): number {
    return this.data.readUInt32BE(this.advance(4));
  }

  f64(): number {
    return this.data.readDoubleBE(this.advance(8));
  }

  bytes(): Buffer {
    const length = this.u32();
    const start = this.advance(length);
    return this.data.subarray(start, start + length);
  }

  /** Decoded in place: inventories hold many short strings, a view per string would add up. */
  string(): string {
    const length = this.u32();
    const start = this.advance(length);
    return this.data.toString('utf8', start, start + length);
  }

  strings(): string[] {
    return this.list(4, () => this.string());
  }

  /** A count of items of at least `minItemBytes` each, refused when they cannot fit. */
  count(minItemBytes: number): number {
    const count = this.u32();
    if (count * minItemBytes > this.data.length - this.offset) {
      throw new CacheFormatError('malformed', `${count} items cannot fit in what is left`);
    }
    return count;
  }

  list<T>(minItemBytes: number, item: () => T): T[] {
    const count = this.count(minItemBytes);
    const items: T[] = [];
    for (let i = 0; i < count; i += 1) items.push(item());
    return items;
  }

  end(): void {
    if (this.offset !== this.data.length) {
      throw new CacheFormatError('malformed', `${this.data.length - this.offset} trailing bytes`);
    }
  }

  /** Moves past a field of `length` bytes and returns where it starts. */
  private advance(length: number): number {
    if (length > this.data.length - this.offset) {
      const message = `field of ${length} bytes at offset ${this.offset} passes the end`;
      throw new CacheFormatError('truncated', message);
    }
    const start = this.offset;
    this.offset += length;
    return start;
  }
}
