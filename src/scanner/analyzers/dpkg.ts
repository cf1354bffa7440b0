import type { OsInfo, Package } from '../types.js';
import type { Analyzer, AnalyzerContext } from './analyzer.js';
import { attributeRecords } from './attribution.js';
import { runParser } from './run.js';
import { formatPurl } from './purl.js';
import { decodeText, parseStanzas, type Stanza } from './text.js';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;

export interface DpkgRecord {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
  readonly sourceName: string;
  readonly sourceVersion: string;
}

/** Parses a dpkg status file (or one distroless `status.d/` file) into installed packages. */
export function parseDpkgStatus(data: Buffer, maxPackages: number): DpkgRecord[] {
  const stanzas = parseStanzas(decodeText(data, 'dpkg status'), 'dpkg status', maxPackages);
  return stanzas.filter(isInstalled).flatMap((stanza) => {
    const record = toRecord(stanza);
    return record === undefined ? [] : [record];
  });
}

function isInstalled(stanza: Stanza): boolean {
  const status = stanza.get('status');
  // Distroless `status.d` files carry no Status field: every file there is an installed package.
  return status === undefined || status.split(/\s+/)[2] === 'installed';
}

function toRecord(stanza: Stanza): DpkgRecord | undefined {
  const name = stanza.get('package');
  const version = stanza.get('version');
  if (name === undefined || name === '' || version === undefined || version === '') return;

  // `Source: name (version)` when the source version differs; the binary name when absent.
  const source = /^(\S+)(?:\s+\((\S+)\))?/.exec(stanza.get('source') ?? '');
  const arch = stanza.get('architecture');
  const record = {
    name,
    version,
    sourceName: source?.[1] ?? name,
    sourceVersion: source?.[2] ?? version,
  };
  return arch === undefined ? record : { ...record, arch };
}

export function dpkgPurl(record: DpkgRecord, os: OsInfo | undefined): string {
  const family = os?.family === 'ubuntu' ? 'ubuntu' : 'debian';
  const distro = os === undefined || os.version === '' ? undefined : `${os.family}-${os.version}`;
  return formatPurl({
    type: 'deb',
    namespace: family,
    name: record.name,
    version: record.version,
    qualifiers: { arch: record.arch, distro },
  });
}

function analyze(context: AnalyzerContext): Package[] {
  const max = context.limits.maxPackagesPerDb;
  const parse = (data: Buffer): DpkgRecord[] => parseDpkgStatus(data, max);
  const files = [
    ...context.fs.list((path) => path === STATUS),
    ...context.fs.list((path) => STATUS_D.test(path) && !path.endsWith('.md5sums')),
  ];

  return files.flatMap((file) =>
    runParser(context, file, () => {
      const records = parse(file.data);
      const attributed = attributeRecords(context.fs, file, records, parse, dpkgKey);
      return attributed.map(({ record, layer }) => ({
        ...record,
        ecosystem: 'deb' as const,
        purl: dpkgPurl(record, context.os),
        layerDigest: layer,
        path: file.path,
      }));
    }),
  );
}

function dpkgKey(record: DpkgRecord): string {
  return `${record.name}\0${record.version}\0${record.arch ?? ''}`;
}

export const dpkgAnalyzer: Analyzer = {
  name: 'dpkg',
  wants: (path) => path === STATUS || STATUS_D.test(path),
  analyze,
};
