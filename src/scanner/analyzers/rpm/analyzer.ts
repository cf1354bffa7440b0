import type { OsInfo, Package } from '../../types.js';
import type { Analyzer, AnalyzerContext } from '../analyzer.js';
import { attributeRecords } from '../attribution.js';
import { formatPurl } from '../purl.js';
import { runParser } from '../run.js';
import { parseRpmDatabase } from './database.js';
import type { RpmRecord } from './header.js';

const DIRS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];
/** Newest backend first: an upgraded image may keep the old file beside the new one. */
const FILES = ['rpmdb.sqlite', 'Packages.db', 'Packages'];
const CANDIDATES = FILES.flatMap((file) => DIRS.map((dir) => `${dir}/${file}`));
const WANTED = new Set(CANDIDATES);

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

  const max = context.limits.maxPackagesPerDb;
  const parse = (data: Buffer): RpmRecord[] =>
    parseRpmDatabase(data, max).records.filter((r) => !PSEUDO_PACKAGES.has(r.name));
  const key = (r: RpmRecord): string => `${r.name}\0${rpmVersion(r)}\0${r.arch ?? ''}`;

  return runParser(context, file, () => {
    const database = parseRpmDatabase(file.data, max);
    if (database.damaged > 0) {
      const message = `${database.damaged} damaged entries skipped in the ${database.format} rpmdb`;
      context.warn({ code: 'SCAN_PARSE', message, layer: file.layer, path: file.path });
    }
    const records = database.records.filter((r) => !PSEUDO_PACKAGES.has(r.name));
    return attributeRecords(context.fs, file, records, parse, key).map(({ record, layer }) =>
      toPackage(record, context, layer, file.path),
    );
  });
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
