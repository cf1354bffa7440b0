import { ConfigReader, type Section } from './config-read.js';
import { DEFAULT_SCANNER_CONFIG } from './config-defaults.js';
import {
  SECURITY_CHECKS,
  SEVERITIES,
  VULN_STATUSES,
  VULN_TYPES,
  type ScannerConfig,
} from './config-types.js';
import { parseYamlText } from './config-yaml.js';
import { formatDuration } from './duration.js';

const TOP = [
  'cacheDir',
  'dbRepo',
  'deleteFailedImages',
  'deleteEOLImages',
  'vulnerabilities',
  'timeout',
];
const VULNS = ['ignoreUnfixed', 'types', 'securityChecks', 'severities', 'ignoredStatuses'];

function enumList<T extends string>(
  section: Section,
  key: string,
  values: readonly T[],
  fallback: T[],
) {
  const rule = {
    allowed: `one of ${values.join(', ')}`,
    test: (v: string) => values.includes(v as T),
  };
  return section.stringList(key, fallback, rule) as T[];
}

function readVulnerabilities(section: Section): ScannerConfig['vulnerabilities'] {
  const d = DEFAULT_SCANNER_CONFIG.vulnerabilities;
  return {
    ignoreUnfixed: section.boolean('ignoreUnfixed', d.ignoreUnfixed),
    types: enumList(section, 'types', VULN_TYPES, d.types),
    securityChecks: enumList(section, 'securityChecks', SECURITY_CHECKS, d.securityChecks),
    severities: enumList(section, 'severities', SEVERITIES, d.severities),
    ignoredStatuses: enumList(section, 'ignoredStatuses', VULN_STATUSES, d.ignoredStatuses),
  };
}

function readTimeout(reader: ConfigReader, section: Section): ScannerConfig['timeout'] {
  const d = DEFAULT_SCANNER_CONFIG.timeout;
  const totalMs = section.duration('total', d.totalMs, 1);
  const perImageMs = section.duration('perImage', d.perImageMs, 1);
  if (perImageMs > totalMs) {
    reader.fail(section.field('perImage'), formatDuration(perImageMs), 'at most timeout.total');
  }
  return { totalMs, perImageMs };
}

/**
 * Reads the scanner's own settings from the YAML string in `components.scanner.config`. An
 * absent or empty string means the defaults. Issues are reported on `reader` under `field`.
 */
export function readScannerConfig(
  reader: ConfigReader,
  text: unknown,
  field: string,
): ScannerConfig {
  if (text === undefined || text === null || text === '')
    return structuredClone(DEFAULT_SCANNER_CONFIG);
  if (typeof text !== 'string') {
    reader.fail(field, text, 'a YAML document as a string (use "config: |")');
    return structuredClone(DEFAULT_SCANNER_CONFIG);
  }

  const parsed = parseYamlText(text);
  if (!parsed.ok) {
    reader.fail(field, text, `valid YAML with the scanner settings (${parsed.reason})`);
    return structuredClone(DEFAULT_SCANNER_CONFIG);
  }

  const d = DEFAULT_SCANNER_CONFIG;
  const top = reader.section(parsed.value, field, TOP);
  return {
    cacheDir: top.string('cacheDir', d.cacheDir, {
      allowed: 'an absolute path',
      test: (v) => v.startsWith('/'),
    }),
    dbRepo: top.string('dbRepo', d.dbRepo),
    deleteFailedImages: top.boolean('deleteFailedImages', d.deleteFailedImages),
    deleteEOLImages: top.boolean('deleteEOLImages', d.deleteEOLImages),
    vulnerabilities: readVulnerabilities(top.child('vulnerabilities', VULNS)),
    timeout: readTimeout(reader, top.child('timeout', ['total', 'perImage'])),
  };
}
