/**
 * EraserConfig: the manager's configuration file (usually a mounted ConfigMap). Versions
 * eraser.sh/v1alpha1, v1alpha2 and v1alpha3 are read and converted to one internal shape.
 */
export type {
  ComponentConfig,
  ComponentsConfig,
  ConfigVersion,
  EraserConfig,
  ImageJobConfig,
  ManagerConfig,
  NodeFilterConfig,
  ResourceSpec,
  RuntimeName,
  RuntimeSpec,
  ScannerComponentConfig,
  ScannerConfig,
  ScheduleConfig,
} from './config-types.js';
export { CONFIG_VERSIONS, RUNTIME_NAMES } from './config-types.js';
export type { ConfigIssue, ConfigWarning } from './config-read.js';
export {
  DEFAULT_SCANNER_CONFIG,
  DEFAULT_WORKER_IMAGE,
  RUNTIME_ADDRESSES,
  defaultEraserConfig,
} from './config-defaults.js';
export {
  CONFIG_INVALID,
  ConfigError,
  parseEraserConfig,
  type LoadedConfig,
} from './config-parse.js';
export { loadEraserConfig } from './config-file.js';
export { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES } from './config-yaml.js';
export { watchConfig, type ConfigWatcher, type WatchConfigOptions } from './config-watch.js';
