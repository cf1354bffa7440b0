import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../../../errors.js';
import { ParseError } from '../../errors.js';
import { checkWal } from './sqlite-wal.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** Offsets of the file format write/read versions; 2 means WAL (sqlite.org/fileformat2.html). */
const WRITE_VERSION = 18;
const READ_VERSION = 19;
const WAL_MODE = 2;

export function isSqlite(data: Buffer): boolean {
  return data.length >= 100 && data.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC);
}

export interface SqliteReadOptions {
  /** Where the private folder for a database with its `-wal` is made; the OS default if unset. */
  readonly tempRoot?: string;
}

export interface SqliteRead {
  readonly blobs: Buffer[];
  /** Why the `-wal` beside the database was read only in part or not at all. */
  readonly walProblem?: string;
}

/**
 * Reads the header blobs of rpm's SQLite backend (`rpmdb.sqlite`, table `Packages(hnum, blob)`).
 * Without a write-ahead log the database is deserialised from memory; nothing touches the disk.
 * A WAL-mode database whose `-wal` holds committed transactions is copied with it into a
 * private temporary folder and opened read-only there, so SQLite replays the log the way rpm
 * would; the folder is removed afterwards. A log SQLite would skip (empty, no valid header, no
 * commit) is not copied; a damaged one, or one whose replay fails, is reported in `walProblem`
 * and the database is read without it.
 */
export function readSqliteBlobs(
  data: Buffer,
  maxPackages: number,
  wal?: Buffer,
  options: SqliteReadOptions = {},
): SqliteRead {
  const inWalMode = data[WRITE_VERSION] === WAL_MODE || data[READ_VERSION] === WAL_MODE;
  // A rollback-mode database ignores a `-wal` beside it; so does rpm.
  if (wal === undefined || wal.length === 0 || !inWalMode) {
    return { blobs: readFromMemory(data, maxPackages) };
  }

  const check = checkWal(wal, pageSize(data));
  const problem = check.problem === undefined ? {} : { walProblem: check.problem };
  if (check.committedFrames === 0) return { blobs: readFromMemory(data, maxPackages), ...problem };
  try {
    const root = options.tempRoot ?? tmpdir();
    return { blobs: readWithWal(data, wal, maxPackages, root), ...problem };
  } catch (err: unknown) {
    const walProblem = `replaying it failed (${errorMessage(err)}); read without it`;
    return { blobs: readFromMemory(data, maxPackages), walProblem };
  }
}

/** The database header's page size at offset 16: big-endian, 1 standing for 65536. */
function pageSize(data: Buffer): number {
  const size = data.readUInt16BE(16);
  return size === 1 ? 65536 : size;
}

/** An in-memory database has no WAL, so a WAL-mode file is switched to rollback mode first. */
function readFromMemory(data: Buffer, maxPackages: number): Buffer[] {
  const copy = Buffer.from(data);
  copy[WRITE_VERSION] = 1;
  copy[READ_VERSION] = 1;
  return readBlobs(() => new Database(copy, { readonly: true }), maxPackages);
}

/**
 * SQLite replays a `-wal` only from a file beside the database. A read-only connection still
 * creates the `-shm` index beside them (the folder is ours and writable) and never writes the
 * log back into the database, which a read-write close would.
 */
function readWithWal(data: Buffer, wal: Buffer, maxPackages: number, root: string): Buffer[] {
  const dir = mkdtempSync(join(root, 'eraser-rpmdb-'));
  try {
    const path = join(dir, 'rpmdb.sqlite');
    writeFileSync(path, data, { mode: 0o600 });
    writeFileSync(`${path}-wal`, wal, { mode: 0o600 });
    return readBlobs(
      () => new Database(path, { readonly: true, fileMustExist: true }),
      maxPackages,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readBlobs(open: () => Database.Database, maxPackages: number): Buffer[] {
  let db: Database.Database | undefined;
  try {
    db = open();
    const blobs: Buffer[] = [];
    for (const row of db.prepare('SELECT blob FROM Packages ORDER BY hnum').raw().iterate()) {
      const blob = (row as unknown[])[0];
      if (!Buffer.isBuffer(blob)) throw new ParseError('rpm sqlite Packages row is not a blob');
      blobs.push(blob);
      if (blobs.length > maxPackages) {
        throw new ParseError(`rpm sqlite database lists more than ${maxPackages} packages`);
      }
    }
    return blobs;
  } catch (err: unknown) {
    if (err instanceof ParseError) throw err;
    throw new ParseError(`rpm sqlite database unreadable: ${errorMessage(err)}`, {}, err);
  } finally {
    db?.close();
  }
}
