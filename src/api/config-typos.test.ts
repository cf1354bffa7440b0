import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ConfigError, parseEraserConfig, type ConfigIssue } from './config.js';

const V1 = 'apiVersion: eraser.sh/v1alpha1\nkind: EraserConfig\n';
const V3 = 'apiVersion: eraser.sh/v1alpha3\nkind: EraserConfig\n';

/** The issue refusing `field`, after checking the whole file was refused and names it. */
function refusal(text: string, field: string): { issue: ConfigIssue; message: string } {
  try {
    parseEraserConfig(text, 'typo.yaml');
  } catch (err: unknown) {
    assert.ok(err instanceof ConfigError, String(err));
    const issue = err.issues.find((i) => i.field === field);
    assert.ok(issue, `no issue for ${field} in: ${err.message}`);
    assert.ok(err.message.includes(field), err.message);
    return { issue, message: err.message };
  }
  assert.fail(`expected ${field} to be refused`);
}

function warnedFields(text: string): [string, string][] {
  return parseEraserConfig(text).warnings.map((w) => [w.field, w.level]);
}

describe('a misspelt section name that would widen cleaning is refused', () => {
  const cases: [string, string, string, string][] = [
    [
      'collector, whose default keeps it on while the scanner is off',
      'components: {colector: {enabled: false}, scanner: {enabled: false}}',
      'components.colector',
      'collector',
    ],
    [
      'nodeFilter, whose default filter cleans every node',
      'manager: {nodeFiltr: {type: include, selectors: [pool=canary]}}',
      'manager.nodeFiltr',
      'nodeFilter',
    ],
    [
      'scheduling, whose default starts at once and every 24h',
      'manager: {schedulng: {cron: "0 3 * * 0", beginImmediately: false}}',
      'manager.schedulng',
      'scheduling',
    ],
    [
      'image deep in a component',
      'components: {remover: {imag: {repo: x}}}',
      'components.remover.imag',
      'image',
    ],
  ];
  for (const [name, yaml, field, meant] of cases) {
    test(`${field} is refused with the key it likely meant: ${name}`, () => {
      const { issue, message } = refusal(`${V3}${yaml}\n`, field);
      assert.equal(issue.suggestion, meant);
      assert.match(issue.allowed, new RegExp(`did you mean ${meant}\\?`, 'u'));
      assert.match(message, new RegExp(`${field.replace(/\./gu, '\\.')}: got .*${meant}`, 'u'));
    });
  }
});

describe('an unknown key within a typo of a known key is refused at every level', () => {
  const cases: [string, string, string][] = [
    ['compnents: {}', 'compnents', 'components'],
    ['kinds: x', 'kinds', 'kind'],
    ['manager: {logLevle: debug}', 'manager.logLevle', 'logLevel'],
    ['manager: {runtime: {name: crio, adress: "unix:///x"}}', 'manager.runtime.adress', 'address'],
    ['manager: {profile: {enable: true}}', 'manager.profile.enable', 'enabled'],
    ['manager: {scheduling: {corn: "@daily"}}', 'manager.scheduling.corn', 'cron'],
    ['manager: {schedule: {crn: "@daily"}}', 'manager.schedule.crn', 'cron'],
    ['components: {scaner: {}}', 'components.scaner', 'scanner'],
    ['components: {scanner: {enabeld: false}}', 'components.scanner.enabeld', 'enabled'],
    ['components: {collector: {image: {tga: v1}}}', 'components.collector.image.tga', 'tag'],
    ['components: {remover: {request: {mme: 1Mi}}}', 'components.remover.request.mme', 'mem'],
    ['components: {remover: {minage: 1h}}', 'components.remover.minage', 'minAge'],
    [
      'components: {scanner: {config: "deleteFailedImage: true"}}',
      'components.scanner.config.deleteFailedImage',
      'deleteFailedImages',
    ],
    [
      'components: {scanner: {config: "vulnerabilities: {severites: [CRITICAL]}"}}',
      'components.scanner.config.vulnerabilities.severites',
      'severities',
    ],
    [
      'components: {scanner: {config: "timeout: {perimage: 1m}"}}',
      'components.scanner.config.timeout.perimage',
      'perImage',
    ],
  ];
  for (const [yaml, field, meant] of cases) {
    test(`${field} is refused as a typo of ${meant}`, () => {
      assert.equal(refusal(`${V3}${yaml}\n`, field).issue.suggestion, meant);
    });
  }

  test('a typo of v1alpha1’s remover name is refused too', () => {
    assert.equal(
      refusal(`${V1}components: {eraserr: {}}\n`, 'components.eraserr').issue.suggestion,
      'eraser',
    );
  });
});

describe('the sections that decide when and what is removed refuse any unknown key', () => {
  const cases: [string, string][] = [
    ['manager: {scheduling: {at: "03:00"}}', 'manager.scheduling.at'],
    ['manager: {schedule: {every: 1h}}', 'manager.schedule.every'],
    ['components: {collector: {nodeSelector: {a: b}}}', 'components.collector.nodeSelector'],
    ['components: {scanner: {volumes: []}}', 'components.scanner.volumes'],
    ['components: {remover: {dryRun: true}}', 'components.remover.dryRun'],
    ['components: {scanner: {image: {digest: "sha256:0"}}}', 'components.scanner.image.digest'],
    ['components: {remover: {limit: {ephemeral: 1Gi}}}', 'components.remover.limit.ephemeral'],
  ];
  for (const [yaml, field] of cases) {
    test(`${field} is refused`, () => {
      const { issue } = refusal(`${V3}${yaml}\n`, field);
      assert.match(issue.allowed, /^no unknown field here; known fields: /u);
    });
  }

  test('in a v1alpha1 file the remover, called eraser, is strict as well', () => {
    refusal(`${V1}components: {eraser: {schedule: daily}}\n`, 'components.eraser.schedule');
  });

  test('config on the collector and remover, which Eraser accepts and ignores, is accepted', () => {
    const text = `${V3}components: {collector: {config: "a: 1"}, remover: {config: ""}}\n`;
    assert.deepEqual(parseEraserConfig(text).warnings, []);
  });
});

describe('an unknown key far from every known one is only logged', () => {
  test('at the top, in manager, runtime, profile and the scanner settings', () => {
    const text =
      `${V3}featureGates: {a: true}\nmanager:\n  dryRun: true\n` +
      '  runtime: {name: containerd, endpoint: x}\n  profile: {verbose: true}\n' +
      'components: {scanner: {config: "customScannerSetting: 1"}}\n';
    assert.deepEqual(warnedFields(text), [
      ['featureGates', 'error'],
      ['manager.dryRun', 'error'],
      ['manager.runtime.endpoint', 'error'],
      ['manager.profile.verbose', 'error'],
      ['components.scanner.config.customScannerSetting', 'error'],
    ]);
  });

  test('a component name from another version is logged, not refused', () => {
    assert.deepEqual(warnedFields(`${V3}components: {eraser: {}}\n`), [
      ['components.eraser', 'error'],
    ]);
  });
});

describe('Eraser’s shipped configs stay accepted without a word', () => {
  test('the v1alpha3 config Eraser v1.4 ships', () => {
    const text = `${V3}manager:
  runtime: {name: containerd, address: unix:///run/containerd/containerd.sock}
  otlpEndpoint: ""
  logLevel: info
  scheduling: {repeatInterval: 24h, beginImmediately: true}
  profile: {enabled: false, port: 6060}
  imageJob: {successRatio: 1.0, cleanup: {delayOnSuccess: 0s, delayOnFailure: 24h}}
  pullSecrets: []
  priorityClassName: ""
  additionalPodLabels: {}
  nodeFilter: {type: exclude, selectors: [eraser.sh/cleanup.filter, kubernetes.io/os=windows]}
components:
  collector:
    enabled: true
    image: {repo: ghcr.io/eraser-dev/collector, tag: v1.4.0}
    request: {mem: 25Mi, cpu: 7m}
    limit: {mem: 500Mi, cpu: 0}
  scanner:
    enabled: true
    image: {repo: ghcr.io/eraser-dev/eraser-trivy-scanner, tag: v1.4.0}
    request: {mem: 500Mi, cpu: 1000m}
    limit: {mem: 2Gi, cpu: 0}
    config: |
      cacheDir: /var/lib/trivy
      dbRepo: ghcr.io/aquasecurity/trivy-db
      deleteFailedImages: true
      deleteEOLImages: true
      vulnerabilities:
        ignoreUnfixed: true
        types: [os, library]
        securityChecks: [vuln]
        severities: [CRITICAL, HIGH, MEDIUM, LOW]
        ignoredStatuses:
      timeout: {total: 23h, perImage: 1h}
  remover:
    image: {repo: ghcr.io/eraser-dev/remover, tag: v1.4.0}
    request: {mem: 25Mi, cpu: 0}
    limit: {mem: 30Mi, cpu: 0}
`;
    assert.deepEqual(parseEraserConfig(text).warnings, []);
  });

  test('the v1alpha1 config of Eraser’s chart, controller-runtime sections and empty ones', () => {
    const text = `${V1}health: {healthProbeBindAddress: ":8081"}
metrics: {bindAddress: "127.0.0.1:8080"}
webhook: {port: 9443}
leaderElection: {leaderElect: true, resourceName: e29e094a.k8s.io}
manager:
  runtime: containerd
  otlpEndpoint: ""
  logLevel: info
  scheduling: {}
  profile: {}
  imageJob: {successRatio: 1.0, cleanup: {}}
  pullSecrets: []
  priorityClassName: ""
  nodeFilter: {type: exclude, selectors: [eraser.sh/cleanup.filter, kubernetes.io/os=windows]}
components:
  collector: {enabled: true, image: {tag: v1.1.0}, request: {}, limit: {}}
  scanner: {enabled: true, image: {tag: v1.1.0}, request: {}, limit: {}, config: ""}
  eraser: {image: {tag: v1.1.0}, request: {}, limit: {}}
`;
    assert.deepEqual(parseEraserConfig(text).warnings, []);
  });
});
