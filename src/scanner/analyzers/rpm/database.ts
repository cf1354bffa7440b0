import { ParseError } from '../../errors.js';
import { isBdb, readBdbBlobs } from './bdb.js';
import { parseRpmHeader, type RpmRecord } from './header.js';
import { isNdb, readNdbBlobs, type BlobRead } from './ndb.js';
import { isSqlite, readSqliteBlobs } from './sqlite.js';

export type RpmDbFormat = 'sqlite' | 'ndb' | 'bdb';

export interface RpmDatabase {
  readonly format: RpmDbFormat;
  readonly records: RpmRecord[];
  /** Entries left out because their storage or header blob was damaged. */
  readonly damaged: number;
  /** SQLite only: why its `-wal` was read in part or not at all. */
  readonly walProblem?: string;
}

/** Tells the backend from the bytes, not the file name: images carry stale files too. */
export function detectRpmFormat(data: Buffer): RpmDbFormat {
  if (isSqlite(data)) return 'sqlite';
  if (isNdb(data)) return 'ndb';
  if (isBdb(data)) return 'bdb';
  throw new ParseError('not an rpm database: neither SQLite, NDB nor BerkeleyDB hash');
}

/**
 * Reads every package header of an rpm database in any of the three backends. `wal` is the
 * `-wal` file beside a SQLite database, if any; the other backends have none.
 */
export function parseRpmDatabase(data: Buffer, maxPackages: number, wal?: Buffer): RpmDatabase {
  const format = detectRpmFormat(data);
  const read = readBlobs(format, data, maxPackages, wal);
  const records: RpmRecord[] = [];
  let damaged = read.damaged;
  for (const blob of read.blobs) {
    try {
      records.push(parseRpmHeader(blob));
    } catch {
      damaged += 1;
    }
  }
  if (records.length === 0 && damaged > 0) {
    throw new ParseError(`rpm ${format} database: all ${damaged} entries are damaged`);
  }
  const walProblem = read.walProblem === undefined ? {} : { walProblem: read.walProblem };
  return { format, records, damaged, ...walProblem };
}

function readBlobs(
  format: RpmDbFormat,
  data: Buffer,
  maxPackages: number,
  wal: Buffer | undefined,
): BlobRead & { readonly walProblem?: string } {
  if (format === 'sqlite') return { ...readSqliteBlobs(data, maxPackages, wal), damaged: 0 };
  if (format === 'ndb') return readNdbBlobs(data, maxPackages);
  return readBdbBlobs(data, maxPackages);
}
