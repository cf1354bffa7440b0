import { ParseError } from '../errors.js';
import type { OsInfo, Package } from '../types.js';
import type { Analyzer, AnalyzerContext } from './analyzer.js';
import { attributeRecords } from './attribution.js';
import { formatPurl } from './purl.js';
import { runParser } from './run.js';
import { decodeText, tooMany } from './text.js';

const INSTALLED = 'lib/apk/db/installed';

export interface ApkRecord {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
  readonly origin?: string;
}

/**
 * Parses apk's installed database: one-letter `K:value` lines (P name, V version, A arch,
 * o origin), packages separated by empty lines (apk-tools, "Package database format").
 */
export function parseApkInstalled(data: Buffer, maxPackages: number): ApkRecord[] {
  const records: ApkRecord[] = [];
  let fields = new Map<string, string>();
  const lines = decodeText(data, 'apk installed').split('\n');

  for (let index = 0; index <= lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line === '') {
      const record = toRecord(fields);
      if (record !== undefined) records.push(record);
      if (records.length > maxPackages) throw tooMany('apk installed', maxPackages);
      fields = new Map();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      throw new ParseError(`apk installed line ${index + 1}: expected "K:value"`, {
        line: index + 1,
      });
    }
    // Repeated keys (F, R, Z per file) do not matter here; the package keys appear once.
    if (!fields.has(line[0] ?? '')) fields.set(line[0] ?? '', line.slice(2));
  }
  return records;
}

function toRecord(fields: ReadonlyMap<string, string>): ApkRecord | undefined {
  const name = fields.get('P');
  const version = fields.get('V');
  if (name === undefined || name === '' || version === undefined || version === '') return;
  const arch = fields.get('A');
  const origin = fields.get('o');
  return {
    name,
    version,
    ...(arch === undefined ? {} : { arch }),
    ...(origin === undefined ? {} : { origin }),
  };
}

export function apkPurl(record: ApkRecord, os: OsInfo | undefined): string {
  return formatPurl({
    type: 'apk',
    namespace: os?.family ?? 'alpine',
    name: record.name,
    version: record.version,
    qualifiers: { arch: record.arch, distro: os?.version },
  });
}

function analyze(context: AnalyzerContext): Package[] {
  const max = context.limits.maxPackagesPerDb;
  const parse = (data: Buffer): ApkRecord[] => parseApkInstalled(data, max);
  return context.fs
    .list((path) => path === INSTALLED)
    .flatMap((file) =>
      runParser(context, file, () => {
        const attributed = attributeRecords(context.fs, file, parse(file.data), parse, apkKey);
        return attributed.map(({ record, layer }) => ({
          name: record.name,
          version: record.version,
          ...(record.arch === undefined ? {} : { arch: record.arch }),
          sourceName: record.origin ?? record.name,
          sourceVersion: record.version,
          ecosystem: 'apk' as const,
          purl: apkPurl(record, context.os),
          layerDigest: layer,
          path: file.path,
        }));
      }),
    );
}

function apkKey(record: ApkRecord): string {
  return `${record.name}\0${record.version}\0${record.arch ?? ''}`;
}

export const apkAnalyzer: Analyzer = {
  name: 'apk',
  wants: (path) => path === INSTALLED,
  analyze,
};
