import Database from 'better-sqlite3';
import { errorMessage } from '../../../errors.js';
import { ParseError } from '../../errors.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** Offsets of the file format write/read versions; 2 means WAL (sqlite.org/fileformat2.html). */
const WRITE_VERSION = 18;
const READ_VERSION = 19;

export function isSqlite(data: Buffer): boolean {
  return data.length >= 100 && data.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC);
}

/**
 * Reads the header blobs of rpm's SQLite backend (`rpmdb.sqlite`, table `Packages(hnum, blob)`).
 * The database is deserialised from memory, read-only; nothing touches the disk. A WAL-mode
 * file is switched to rollback mode in a private copy because an in-memory database has no WAL;
 * transactions still sitting in a `-wal` file are therefore not seen.
 */
export function readSqliteBlobs(data: Buffer, maxPackages: number): Buffer[] {
  const copy = Buffer.from(data);
  copy[WRITE_VERSION] = 1;
  copy[READ_VERSION] = 1;

  let db: Database.Database | undefined;
  try {
    db = new Database(copy, { readonly: true });
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
