/**
 * Encoders for rpm databases, written from the format facts in the parsers' doc comments. They
 * make small, exact fixtures to mutate in hostile-input tests; the BerkeleyDB parser is also
 * tested on files written by the real libdb (db5.3_load) in bdb.test.ts. Test support only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { adler32 } from '../analyzers/rpm/adler32.js';

export interface HeaderFields {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly arch?: string;
  readonly sourceRpm?: string;
}

/** Encodes a header blob as rpmdb stores it: counts, 16-byte index entries, data. */
export function encodeRpmHeader(fields: HeaderFields): Buffer {
  const entries: { tag: number; type: number; data: Buffer }[] = [];
  const text = (tag: number, value: string | undefined): void => {
    if (value !== undefined) entries.push({ tag, type: 6, data: Buffer.from(`${value}\0`) });
  };
  text(1000, fields.name);
  text(1001, fields.version);
  text(1002, fields.release);
  if (fields.epoch !== undefined) {
    const data = Buffer.alloc(4);
    data.writeUInt32BE(fields.epoch);
    entries.push({ tag: 1003, type: 4, data });
  }
  text(1022, fields.arch);
  text(1044, fields.sourceRpm);
  return layoutHeader(entries);
}

function layoutHeader(entries: readonly { tag: number; type: number; data: Buffer }[]): Buffer {
  const index = Buffer.alloc(8 + entries.length * 16);
  const data: Buffer[] = [];
  let offset = 0;
  entries.forEach((entry, i) => {
    // int32 data is 4-byte aligned in real headers; keep that so the layout is realistic.
    const pad = entry.type === 4 ? (4 - (offset % 4)) % 4 : 0;
    data.push(Buffer.alloc(pad), entry.data);
    offset += pad;
    const at = 8 + i * 16;
    index.writeUInt32BE(entry.tag, at);
    index.writeUInt32BE(entry.type, at + 4);
    index.writeUInt32BE(offset, at + 8);
    index.writeUInt32BE(1, at + 12);
    offset += entry.data.length;
  });
  index.writeUInt32BE(entries.length, 0);
  index.writeUInt32BE(offset, 4);
  return Buffer.concat([index, ...data]);
}

const PACKAGES_TABLE =
  'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)';

/** An `rpmdb.sqlite` with rpm's Packages table holding the given header blobs. */
export function encodeSqliteDb(blobs: readonly Buffer[]): Buffer {
  const db = new Database(':memory:');
  db.exec(PACKAGES_TABLE);
  const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
  for (const blob of blobs) insert.run(blob);
  const out = db.serialize();
  db.close();
  return out;
}

/**
 * A WAL-mode `rpmdb.sqlite` and its `-wal`, copied while the writer is still open and before
 * any checkpoint, as an image layer can catch them: `base` blobs are in the database file,
 * each of `pending` only in the log (one transaction each).
 */
export function encodeSqliteWithWal(
  base: readonly Buffer[],
  pending: readonly Buffer[],
  pageSize = 4096,
): { db: Buffer; wal: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'eraser-test-rpmwal-'));
  const path = join(dir, 'rpmdb.sqlite');
  const db = new Database(path);
  try {
    db.pragma(`page_size = ${pageSize}`);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec(PACKAGES_TABLE);
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const blob of base) insert.run(blob);
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const blob of pending) insert.run(blob);
    return { db: readFileSync(path), wal: readFileSync(`${path}-wal`) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An NDB `Packages.db`: one slot page, blobs in 16-byte blocks after it. */
export function encodeNdb(blobs: readonly Buffer[]): Buffer {
  const slotPage = Buffer.alloc(4096);
  slotPage.writeUInt32LE(0x506d7052, 0);
  slotPage.writeUInt32LE(0, 4);
  slotPage.writeUInt32LE(1, 8);
  slotPage.writeUInt32LE(1, 12);
  slotPage.writeUInt32LE(blobs.length + 1, 16);
  const areas: Buffer[] = [];
  let block = 4096 / 16;
  for (let slot = 2; slot < 256; slot += 1) {
    slotPage.writeUInt32LE(0x746f6c53, slot * 16);
    const blob = blobs[slot - 2];
    if (blob === undefined) continue;
    const area = ndbBlob(slot - 1, blob);
    slotPage.writeUInt32LE(slot - 1, slot * 16 + 4);
    slotPage.writeUInt32LE(block, slot * 16 + 8);
    slotPage.writeUInt32LE(area.length / 16, slot * 16 + 12);
    areas.push(area);
    block += area.length / 16;
  }
  return Buffer.concat([slotPage, ...areas]);
}

function ndbBlob(index: number, blob: Buffer): Buffer {
  const size = Math.ceil((16 + blob.length + 12) / 16) * 16;
  const area = Buffer.alloc(size);
  area.writeUInt32LE(0x53626c42, 0);
  area.writeUInt32LE(index, 4);
  area.writeUInt32LE(1, 8);
  area.writeUInt32LE(blob.length, 12);
  blob.copy(area, 16);
  const tail = size - 12;
  area.writeUInt32LE(adler32(area.subarray(0, tail)), tail);
  area.writeUInt32LE(blob.length, tail + 4);
  area.writeUInt32LE(0x45626c42, tail + 8);
  return area;
}

/**
 * A minimal BerkeleyDB hash `Packages` file, little-endian: page 0 metadata, page 1 one hash page
 * with key/value pairs (4-byte package number keys, H_OFFPAGE values), overflow pages after it.
 * Enough for the parser, which walks pages; libdb itself wants more metadata than this.
 */
export function encodeBdb(blobs: readonly Buffer[], pageSize = 4096): Buffer {
  const pages: Buffer[] = [Buffer.alloc(pageSize), Buffer.alloc(pageSize)];
  const hash = pages[1] as Buffer;
  let low = pageSize;
  const offsets: number[] = [];
  const item = (bytes: Buffer): void => {
    low -= bytes.length;
    bytes.copy(hash, low);
    offsets.push(low);
  };
  blobs.forEach((blob, i) => {
    const key = Buffer.alloc(5);
    key[0] = 1;
    key.writeUInt32LE(i + 1, 1);
    item(key);
    const value = Buffer.alloc(12);
    value[0] = 3;
    value.writeUInt32LE(pages.length, 4);
    value.writeUInt32LE(blob.length, 8);
    item(value);
    pages.push(...overflowPages(blob, pages.length, pageSize));
  });
  pageHeader(hash, 1, 0, offsets.length, low, 13);
  offsets.forEach((offset, i) => hash.writeUInt16LE(offset, 26 + i * 2));
  metaPage(pages[0] as Buffer, pageSize, pages.length - 1, blobs.length);
  return Buffer.concat(pages);
}

function overflowPages(blob: Buffer, first: number, pageSize: number): Buffer[] {
  const room = pageSize - 26;
  const count = Math.max(1, Math.ceil(blob.length / room));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i += 1) {
    const page = Buffer.alloc(pageSize);
    const part = blob.subarray(i * room, (i + 1) * room);
    part.copy(page, 26);
    const next = i + 1 < count ? first + i + 1 : 0;
    pageHeader(page, first + i, next, 0, part.length, 7);
    out.push(page);
  }
  return out;
}

function pageHeader(
  page: Buffer,
  pgno: number,
  next: number,
  entries: number,
  hf: number,
  type: number,
): void {
  page.writeUInt32LE(pgno, 8);
  page.writeUInt32LE(next, 16);
  page.writeUInt16LE(entries, 20);
  page.writeUInt16LE(hf, 22);
  page[24] = type === 7 ? 0 : 1;
  page[25] = type;
}

function metaPage(page: Buffer, pageSize: number, lastPage: number, count: number): void {
  page.writeUInt32LE(0x061561, 12);
  page.writeUInt32LE(9, 16);
  page.writeUInt32LE(pageSize, 20);
  page[25] = 8;
  page.writeUInt32LE(lastPage, 32);
  page.writeUInt32LE(count, 40);
  page.writeUInt32LE(count, 44);
  page.writeUInt32LE(1, 72);
  page.writeUInt32LE(1, 76);
  page.writeUInt32LE(0, 80);
  page.writeUInt32LE(count, 88);
}
