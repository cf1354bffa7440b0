import { ParseError } from '../errors.js';
import type { MergedFile } from '../layers/merge.js';
import type { Package } from '../types.js';
import type { Analyzer, AnalyzerContext } from './analyzer.js';
import { attributeRecords } from './attribution.js';
import { formatPurl } from './purl.js';
import { runParser } from './run.js';

/** `node_modules/NAME/package.json` or `node_modules/@SCOPE/NAME/package.json`, at any depth. */
const MANIFEST = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@][^/]*\/package\.json$/;

export interface NpmRecord {
  readonly name: string;
  readonly version: string;
}

/** Reads name and version from an installed package's manifest; undefined when either lacks. */
export function parseNpmManifest(data: Buffer): NpmRecord[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(data.toString('utf8'));
  } catch (err: unknown) {
    throw new ParseError('package.json is not valid JSON', {}, err);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new ParseError('package.json is not a JSON object');
  }

  const { name, version } = manifest as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '') {
    return [];
  }
  return [{ name, version }];
}

export function npmPurl(record: NpmRecord): string {
  const slash = record.name.indexOf('/');
  const scoped = record.name.startsWith('@') && slash > 0;
  return formatPurl({
    type: 'npm',
    ...(scoped ? { namespace: record.name.slice(0, slash) } : {}),
    name: scoped ? record.name.slice(slash + 1) : record.name,
    version: record.version,
  });
}

function analyze(context: AnalyzerContext): Package[] {
  const files = context.fs.list((path) => MANIFEST.test(path));
  const packages: Package[] = [];
  for (const file of files) {
    if (packages.length >= context.limits.maxPackagesPerDb) {
      const message = `more than ${context.limits.maxPackagesPerDb} npm packages; the rest skipped`;
      context.warn({ code: 'SCAN_LIMIT', message, path: file.path });
      break;
    }
    packages.push(...runParser(context, file, () => toPackages(context, file)));
  }
  return packages;
}

function toPackages(context: AnalyzerContext, file: MergedFile): Package[] {
  const records = parseNpmManifest(file.data);
  const key = (record: NpmRecord): string => `${record.name}\0${record.version}`;
  return attributeRecords(context.fs, file, records, parseNpmManifest, key).map(
    ({ record, layer }) => ({
      ...record,
      ecosystem: 'npm' as const,
      purl: npmPurl(record),
      layerDigest: layer,
      path: file.path,
    }),
  );
}

export const npmAnalyzer: Analyzer = {
  name: 'npm',
  wants: (path) => MANIFEST.test(path),
  analyze,
};
