import type { MergedFile, MergedFs } from '../../layers/merge.js';
import type { OsInfo, Package } from '../../types.js';
import type { Analyzer, AnalyzerContext } from '../analyzer.js';
import { attributeCopies, type DatabaseCopy } from '../attribution.js';
import { formatPurl } from '../purl.js';
import { runParser } from '../run.js';
import { parseRpmDatabase } from './database.js';
import type { RpmRecord } from './header.js';

const DIRS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];
/** Newest backend first: an upgraded image may keep the old file beside the new one. */
const FILES = ['rpmdb.sqlite', 'Packages.db', 'Packages'];
const CANDIDATES = FILES.flatMap((file) => DIRS.map((dir) => `${dir}/${file}`));
/** SQLite's write-ahead log beside `rpmdb.sqlite`: transactions not yet checkpointed. */
const WAL_SUFFIX = '-wal';
const WALS = DIRS.map((dir) => `${dir}/rpmdb.sqlite${WAL_SUFFIX}`);
const WANTED = new Set([...CANDIDATES, ...WALS]);

/** The signing keys rpm stores as pseudo-packages; they are not software. */
const PSEUDO_PACKAGES = new Set(['gpg-pubkey', 'gpg-pubkey-release']);

/** `bash-5.1.8-6.el9.src.rpm` → name `bash`, version `5.1.8-6.el9`. */
export function parseSourceRpm(sourceRpm: string): { name: string; version: string } | undefined {
  const base = sourceRpm.replace(/\.(?:no)?src\.rpm$/, '');
  const releaseDash = base.lastIndexOf('-');
  const versionDash = base.lastIndexOf('-', releaseDash - 1);
  if (versionDash <= 0) return undefined;
  return { name: base.slice(0, versionDash), version: base.slice(versionDash + 1) };
}

export function rpmVersion(record: RpmRecord): string {
  const epoch = record.epoch === undefined ? '' : `${record.epoch}:`;
  return `${epoch}${record.version}-${record.release}`;
}

export function rpmPurl(record: RpmRecord, os: OsInfo | undefined): string {
  const vendor = os?.family === 'rhel' ? 'redhat' : os?.family;
  const distro = os === undefined || os.version === '' ? undefined : `${os.family}-${os.version}`;
  return formatPurl({
    type: 'rpm',
    ...(vendor === undefined ? {} : { namespace: vendor }),
    name: record.name,
    version: `${record.version}-${record.release}`,
    qualifiers: { arch: record.arch, epoch: record.epoch?.toString(), distro },
  });
}

function toPackage(
  record: RpmRecord,
  context: AnalyzerContext,
  layer: string,
  path: string,
): Package {
  const source = record.sourceRpm === undefined ? undefined : parseSourceRpm(record.sourceRpm);
  const epoch = record.epoch === undefined ? '' : `${record.epoch}:`;
  return {
    name: record.name,
    version: rpmVersion(record),
    ...(source === undefined
      ? {}
      : { sourceName: source.name, sourceVersion: epoch + source.version }),
    ...(record.arch === undefined ? {} : { arch: record.arch }),
    ecosystem: 'rpm',
    purl: rpmPurl(record, context.os),
    layerDigest: layer,
    path,
  };
}

function analyze(context: AnalyzerContext): Package[] {
  const file = firstExisting(context);
  if (file === undefined) return [];
  return runParser(context, file, () => readPackages(context, file));
}

/** A database as one layer left it: the main file and the `-wal` beside it, if any. */
interface DbState {
  readonly db: Buffer;
  readonly wal?: Buffer;
}

function readPackages(context: AnalyzerContext, file: MergedFile): Package[] {
  const max = context.limits.maxPackagesPerDb;
  const software = (records: RpmRecord[]): RpmRecord[] =>
    records.filter((r) => !PSEUDO_PACKAGES.has(r.name));
  const parse = (state: DbState): RpmRecord[] =>
    software(parseRpmDatabase(state.db, max, state.wal).records);
  const key = (r: RpmRecord): string => `${r.name}\0${rpmVersion(r)}\0${r.arch ?? ''}`;

  const states = dbStates(context.fs, file);
  const top = states.at(-1)?.data ?? { db: file.data };
  const database = parseRpmDatabase(top.db, max, top.wal);
  if (database.damaged > 0) {
    const message = `${database.damaged} damaged entries skipped in the ${database.format} rpmdb`;
    context.warn({ code: 'SCAN_PARSE', message, layer: file.layer, path: file.path });
  }
  if (database.walProblem !== undefined) warnWal(context, file, database.walProblem);
  return attributeCopies(states, software(database.records), parse, key).map(({ record, layer }) =>
    toPackage(record, context, layer, file.path),
  );
}

/**
 * The database's states layer by layer, bottom first, the visible one last. rpm in WAL mode
 * writes a transaction to the `-wal` only, so a layer that installed packages may hold just
 * that file: a state changes wherever either file does, and the packages it adds belong there.
 */
function dbStates(fs: MergedFs, file: MergedFile): DatabaseCopy<DbState>[] {
  const dbs = fs.history(file.path);
  const wals = file.path.endsWith('/rpmdb.sqlite') ? fs.history(file.path + WAL_SUFFIX) : [];
  const indexes = [...new Set([...dbs, ...wals].map((copy) => copy.index))].sort((a, b) => a - b);

  const states: DatabaseCopy<DbState>[] = [];
  for (const index of indexes) {
    const db = dbs.findLast((copy) => copy.index <= index);
    const wal = wals.findLast((copy) => copy.index <= index);
    const layer = [...dbs, ...wals].find((copy) => copy.index === index)?.layer;
    if (db === undefined || layer === undefined) continue;
    states.push({
      layer,
      data: wal === undefined ? { db: db.data } : { db: db.data, wal: wal.data },
    });
  }
  return states;
}

function warnWal(context: AnalyzerContext, file: MergedFile, problem: string): void {
  const path = file.path + WAL_SUFFIX;
  const layer = context.fs.read(path)?.layer ?? file.layer;
  const where = `${path} in layer ${layer} of image ${context.image}`;
  const message = `${where}: ${problem}; packages recorded only there may be missing`;
  context.warn({ code: 'SCAN_PARSE', message, layer, path });
}

function firstExisting(context: AnalyzerContext): ReturnType<AnalyzerContext['fs']['read']> {
  for (const path of CANDIDATES) {
    const file = context.fs.read(path);
    if (file !== undefined) return file;
  }
  return undefined;
}

export const rpmAnalyzer: Analyzer = {
  name: 'rpm',
  wants: (path) => WANTED.has(path),
  analyze,
};
