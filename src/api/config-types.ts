import type { LogLevel } from '../logger.js';

/** The EraserConfig versions eraser reads; all convert to the one internal shape below. */
export const CONFIG_VERSIONS = [
  'eraser.sh/v1alpha1',
  'eraser.sh/v1alpha2',
  'eraser.sh/v1alpha3',
] as const;
export type ConfigVersion = (typeof CONFIG_VERSIONS)[number];

export const RUNTIME_NAMES = ['containerd', 'crio', 'dockershim'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

/** The node's container runtime: its name and the CRI socket address worker pods mount. */
export interface RuntimeSpec {
  name: RuntimeName;
  /** `unix:///path` or `tcp://host:port`. */
  address: string;
}

export interface ScheduleConfig {
  /** Time between automated runs; unused when `cron` is set. */
  repeatIntervalMs: number;
  /** A five-field cron expression (UTC); replaces `repeatIntervalMs` when present. */
  cron?: string;
  /** Run once at start-up instead of waiting for the first interval. */
  beginImmediately: boolean;
}

export interface ImageJobConfig {
  /** Share of worker pods (0..1) that must succeed for a job to count as successful. */
  successRatio: number;
  cleanup: {
    /** How long a successful ImageJob is kept. */
    delayOnSuccessMs: number;
    /** How long a failed ImageJob is kept, for inspection. */
    delayOnFailureMs: number;
  };
}

export const NODE_FILTER_TYPES = ['exclude', 'include'] as const;

export interface NodeFilterConfig {
  /** `exclude`: skip nodes matching a selector; `include`: run only on matching nodes. */
  type: (typeof NODE_FILTER_TYPES)[number];
  /** Label keys (the label must exist) or `key=value` pairs. */
  selectors: string[];
}

export interface ManagerConfig {
  runtime: RuntimeSpec;
  otlpEndpoint: string;
  logLevel: LogLevel;
  scheduling: ScheduleConfig;
  profile: { enabled: boolean; port: number };
  imageJob: ImageJobConfig;
  pullSecrets: string[];
  priorityClassName: string;
  additionalPodLabels: Record<string, string>;
  nodeFilter: NodeFilterConfig;
}

/** Kubernetes quantities as written, e.g. `{ mem: '25Mi', cpu: '7m' }`; absent means unset. */
export interface ResourceSpec {
  mem?: string;
  cpu?: string;
}

export interface ComponentConfig {
  enabled: boolean;
  image: { repo: string; tag: string };
  request: ResourceSpec;
  limit: ResourceSpec;
}

export const VULN_TYPES = ['os', 'library'] as const;
export const SECURITY_CHECKS = ['vuln', 'config', 'secret', 'license'] as const;
export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export const VULN_STATUSES = [
  'unknown',
  'not_affected',
  'affected',
  'fixed',
  'under_investigation',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
] as const;

/** The scanner settings carried as a YAML string in `components.scanner.config`. */
export interface ScannerConfig {
  cacheDir: string;
  dbRepo: string;
  /** Remove images whose scan failed or timed out. Off by default: a failed scan proves nothing. */
  deleteFailedImages: boolean;
  /** Remove images whose OS release is end-of-life. */
  deleteEOLImages: boolean;
  vulnerabilities: {
    ignoreUnfixed: boolean;
    types: (typeof VULN_TYPES)[number][];
    securityChecks: (typeof SECURITY_CHECKS)[number][];
    severities: (typeof SEVERITIES)[number][];
    ignoredStatuses: (typeof VULN_STATUSES)[number][];
  };
  timeout: { totalMs: number; perImageMs: number };
}

export interface ScannerComponentConfig extends ComponentConfig {
  config: ScannerConfig;
}

export interface RemoverComponentConfig extends ComponentConfig {
  /**
   * Keep images that arrived on the node more recently than this (0: off). eraser's own key
   * (`components.remover.minAge`), which Eraser's configs do not have.
   */
  minAgeMs: number;
}

export interface ComponentsConfig {
  collector: ComponentConfig;
  scanner: ScannerComponentConfig;
  /** Always enabled: removal is the point. v1alpha1 calls it `eraser`. */
  remover: RemoverComponentConfig;
}

/** The one internal config shape (v1alpha3-like, durations in milliseconds). */
export interface EraserConfig {
  /** The apiVersion the file was written in, for logs and diagnostics. */
  sourceVersion: ConfigVersion;
  manager: ManagerConfig;
  components: ComponentsConfig;
}
