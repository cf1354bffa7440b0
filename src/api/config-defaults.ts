import type { ComponentConfig, EraserConfig, RuntimeName, ScannerConfig } from './config-types.js';

/** The CRI socket each runtime listens on by default (Eraser's defaults, as node paths). */
export const RUNTIME_ADDRESSES: Readonly<Record<RuntimeName, string>> = {
  containerd: 'unix:///run/containerd/containerd.sock',
  crio: 'unix:///run/crio/crio.sock',
  dockershim: 'unix:///run/dockershim.sock',
};

/**
 * Worker image used when the config names none. One image serves all three roles. It points at
 * a registry on the node's loopback on purpose: a release sets its real repository here or in
 * the config, and no default ever reaches out to a third-party registry.
 */
export const DEFAULT_WORKER_IMAGE = { repo: 'localhost/eraser', tag: '0.1.0' } as const;

const HOUR = 3_600_000;

export const DEFAULT_SCANNER_CONFIG: ScannerConfig = {
  cacheDir: '/var/lib/trivy',
  dbRepo: 'ghcr.io/aquasecurity/trivy-db',
  // Eraser defaults to true, which deletes images whose scan merely failed; we keep them.
  deleteFailedImages: false,
  deleteEOLImages: true,
  vulnerabilities: {
    ignoreUnfixed: true,
    types: ['os', 'library'],
    securityChecks: ['vuln'],
    severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
    ignoredStatuses: [],
  },
  timeout: { totalMs: 23 * HOUR, perImageMs: HOUR },
};

// Node.js workers need more than Eraser's Go defaults (a 30Mi limit would kill them at start).
function component(requestMem: string, limitMem: string): ComponentConfig {
  return {
    enabled: true,
    image: { ...DEFAULT_WORKER_IMAGE },
    request: { mem: requestMem, cpu: '10m' },
    limit: { mem: limitMem },
  };
}

/** A fresh copy of the full default config (what an empty v1alpha3 file means). */
export function defaultEraserConfig(): EraserConfig {
  return {
    sourceVersion: 'eraser.sh/v1alpha3',
    manager: {
      runtime: { name: 'containerd', address: RUNTIME_ADDRESSES.containerd },
      otlpEndpoint: '',
      logLevel: 'info',
      scheduling: { repeatIntervalMs: 24 * HOUR, beginImmediately: true },
      profile: { enabled: false, port: 6060 },
      imageJob: { successRatio: 1, cleanup: { delayOnSuccessMs: 0, delayOnFailureMs: 24 * HOUR } },
      pullSecrets: [],
      priorityClassName: '',
      additionalPodLabels: {},
      nodeFilter: {
        type: 'exclude',
        selectors: ['eraser.sh/cleanup.filter', 'kubernetes.io/os=windows'],
      },
    },
    components: {
      collector: component('64Mi', '256Mi'),
      scanner: { ...component('256Mi', '1Gi'), config: structuredClone(DEFAULT_SCANNER_CONFIG) },
      remover: { ...component('64Mi', '256Mi'), minAgeMs: 0 },
    },
  };
}
