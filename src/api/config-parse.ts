import { EraserError } from '../errors.js';
import { readComponents, componentKeys } from './config-components.js';
import { readManager, MANAGER_KEYS } from './config-manager.js';
import { ConfigReader, type ConfigIssue, type ConfigWarning } from './config-read.js';
import { CONFIG_VERSIONS, type ConfigVersion, type EraserConfig } from './config-types.js';
import { parseYamlText } from './config-yaml.js';

export const CONFIG_INVALID = 'CONFIG_INVALID';

/**
 * Top-level keys of Eraser's controller-runtime manager config that Eraser's own files carry
 * (probes, metrics, leader election…). Flags set those here, so they are accepted and ignored.
 */
export const ERASER_EXTRA_KEYS = [
  'health',
  'metrics',
  'webhook',
  'leaderElection',
  'cacheNamespace',
  'gracefulShutDown',
  'controller',
  'syncPeriod',
] as const;

function render(value: unknown): string {
  if (value === undefined) return 'nothing';
  // Values come from YAML, so JSON can always render them.
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeIssue(issue: ConfigIssue): string {
  const field = issue.field === '' ? '(document)' : issue.field;
  return `${field}: got ${render(issue.value)}, expected ${issue.allowed}`;
}

/**
 * An EraserConfig that cannot be used. The context names the first bad field (`field`, `value`,
 * `allowed`) and the file; `issues` lists every bad field found in the same pass.
 */
export class ConfigError extends EraserError {
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const [first = { field: '', value: undefined, allowed: 'a valid EraserConfig' }] = issues;
    const more =
      issues.length > 1
        ? ` (and ${issues.length - 1} more: ${issues.slice(1).map(describeIssue).join('; ')})`
        : '';
    super(
      CONFIG_INVALID,
      `invalid EraserConfig ${file}: ${describeIssue(first)}${more}`,
      { file, field: first.field, value: first.value, allowed: first.allowed, issues },
      options,
    );
    this.issues = issues;
  }
}

/** A usable config and the fields that were ignored on the way. */
export interface LoadedConfig {
  config: EraserConfig;
  warnings: ConfigWarning[];
}

function readVersion(reader: ConfigReader, root: ReturnType<ConfigReader['section']>) {
  if (!root.has('apiVersion')) {
    reader.fail('apiVersion', undefined, `one of ${CONFIG_VERSIONS.join(', ')}`);
  }
  const version = root.oneOf<ConfigVersion | ''>('apiVersion', '', CONFIG_VERSIONS);
  if (root.raw('kind') !== 'EraserConfig') reader.fail('kind', root.raw('kind'), 'EraserConfig');
  return version;
}

/**
 * Parses EraserConfig YAML of any supported version into the internal shape, filling defaults.
 * Throws `ConfigError` naming every invalid field. Unknown keys are invalid when they are a near
 * miss of a known key at the same level (a likely typo), and anywhere under
 * `manager.scheduling`, `manager.schedule`, `manager.nodeFilter`, `manager.imageJob` and
 * `components.<name>`; other unknown keys become warnings, at error level.
 */
export function parseEraserConfig(text: string, file = '<inline>'): LoadedConfig {
  const parsed = parseYamlText(text);
  if (!parsed.ok) {
    throw new ConfigError(file, [
      { field: '', value: undefined, allowed: `YAML (${parsed.reason})` },
    ]);
  }

  const reader = new ConfigReader();
  const root = reader.section(parsed.value, '', ['apiVersion', 'kind', 'manager', 'components'], {
    quiet: ERASER_EXTRA_KEYS,
  });
  const version = readVersion(reader, root);
  if (reader.issues.length > 0 || version === '') throw new ConfigError(file, reader.issues);

  const manager = readManager(reader, root.child('manager', MANAGER_KEYS));
  const components = readComponents(
    reader,
    root.child('components', componentKeys(version)),
    version,
  );
  if (reader.issues.length > 0) throw new ConfigError(file, reader.issues);
  return { config: { sourceVersion: version, manager, components }, warnings: reader.warnings };
}
