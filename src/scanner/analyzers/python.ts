import type { Package } from '../types.js';
import type { Analyzer, AnalyzerContext } from './analyzer.js';
import { attributeRecords } from './attribution.js';
import type { MergedFile } from '../layers/merge.js';
import { formatPurl, normalisePypiName } from './purl.js';
import { runParser } from './run.js';
import { decodeText, parseStanzas } from './text.js';

/**
 * Installed distributions: wheel `*.dist-info/METADATA`, setuptools `*.egg-info/PKG-INFO`, and
 * the older single-file `*.egg-info` (the PKG-INFO text itself, as distutils installs it).
 * Only files are listed, so a path ending in `.egg-info` is the single-file form.
 */
const METADATA = /(?:^|\/)[^/]+\.(?:dist-info\/METADATA|egg-info\/PKG-INFO|egg-info)$/;

export interface PypiRecord {
  /** PEP 503 normalised, the form OSV and the purl spec use. */
  readonly name: string;
  readonly version: string;
}

/**
 * Reads Name and Version from core metadata (packaging.python.org, "Core metadata
 * specifications"): an email-style header block; the body after the first empty line is the
 * description and is ignored.
 */
export function parsePythonMetadata(data: Buffer): PypiRecord[] {
  const text = decodeText(data, 'Python metadata');
  const headerEnd = text.search(/\r?\n\r?\n/);
  const header = headerEnd < 0 ? text : text.slice(0, headerEnd);
  const [fields] = parseStanzas(header, 'Python metadata', 1, { blankLinesContinue: true });
  const name = fields?.get('name');
  const version = fields?.get('version');
  if (name === undefined || name === '' || version === undefined || version === '') return [];
  return [{ name: normalisePypiName(name), version }];
}

function toPackages(context: AnalyzerContext, file: MergedFile): Package[] {
  const records = parsePythonMetadata(file.data);
  const key = (record: PypiRecord): string => `${record.name}\0${record.version}`;
  return attributeRecords(context.fs, file, records, parsePythonMetadata, key).map(
    ({ record, layer }) => ({
      ...record,
      ecosystem: 'pypi' as const,
      purl: formatPurl({ type: 'pypi', name: record.name, version: record.version }),
      layerDigest: layer,
      path: file.path,
    }),
  );
}

function analyze(context: AnalyzerContext): Package[] {
  const packages: Package[] = [];
  for (const file of context.fs.list((path) => METADATA.test(path))) {
    if (packages.length >= context.limits.maxPackagesPerDb) {
      const message = `more than ${context.limits.maxPackagesPerDb} Python packages; rest skipped`;
      context.warn({ code: 'SCAN_LIMIT', message, path: file.path });
      break;
    }
    packages.push(...runParser(context, file, () => toPackages(context, file)));
  }
  return packages;
}

export const pythonAnalyzer: Analyzer = {
  name: 'python',
  wants: (path) => METADATA.test(path),
  analyze,
};
