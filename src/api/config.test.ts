import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { parse } from 'yaml';

import {
  ConfigError,
  defaultEraserConfig,
  parseEraserConfig,
  type EraserConfig,
} from './config.js';

const HOUR = 3_600_000;

function header(version: string): string {
  return `apiVersion: eraser.sh/${version}\nkind: EraserConfig\n`;
}

function expectIssue(text: string, field: string, allowed?: RegExp): ConfigError {
  try {
    parseEraserConfig(text, 'test.yaml');
  } catch (err: unknown) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.equal(err.context['file'], 'test.yaml');
    const issue = err.issues.find((i) => i.field === field);
    assert.ok(issue, `no issue for ${field} in: ${err.message}`);
    if (allowed !== undefined) assert.match(issue.allowed, allowed);
    assert.ok(err.message.includes(field), err.message);
    return err;
  }
  assert.fail(`expected a ConfigError for ${field}`);
}

describe('EraserConfig versions', () => {
  const cases: [string, string, (c: EraserConfig) => void][] = [
    [
      'v1alpha1 with a bare runtime name and the remover called "eraser"',
      `${header('v1alpha1')}manager: {runtime: crio}\n` +
        'components: {eraser: {image: {repo: example.com/rm, tag: v1}}}\n',
      (c) => {
        assert.deepEqual(c.manager.runtime, {
          name: 'crio',
          address: 'unix:///run/crio/crio.sock',
        });
        assert.deepEqual(c.components.remover.image, { repo: 'example.com/rm', tag: 'v1' });
      },
    ],
    [
      'v1alpha2 with a bare runtime name and the remover called "remover"',
      `${header('v1alpha2')}manager: {runtime: dockershim}\n` +
        'components: {remover: {request: {mem: 10Mi}}}\n',
      (c) => {
        assert.deepEqual(c.manager.runtime, {
          name: 'dockershim',
          address: 'unix:///run/dockershim.sock',
        });
        assert.equal(c.components.remover.request.mem, '10Mi');
      },
    ],
    [
      'v1alpha3 with runtime name and address',
      `${header('v1alpha3')}manager:\n  runtime:\n    name: containerd\n    address: unix:///var/run/k3s/containerd/containerd.sock\n`,
      (c) => {
        assert.equal(c.manager.runtime.address, 'unix:///var/run/k3s/containerd/containerd.sock');
      },
    ],
    [
      'v1alpha3 with a runtime name only, which gets that runtime’s default socket',
      `${header('v1alpha3')}manager:\n  runtime: {name: crio}\n`,
      (c) => {
        assert.equal(c.manager.runtime.address, 'unix:///run/crio/crio.sock');
      },
    ],
    [
      'an empty v1alpha3 file, which means every default',
      header('v1alpha3'),
      (c) => {
        assert.deepEqual(c, defaultEraserConfig());
      },
    ],
  ];
  for (const [name, text, check] of cases) {
    test(`reads ${name}`, () => {
      check(parseEraserConfig(text).config);
    });
  }

  test('records the version the file was written in', () => {
    assert.equal(parseEraserConfig(header('v1alpha1')).config.sourceVersion, 'eraser.sh/v1alpha1');
  });

  test('treats "remover" in a v1alpha1 file as unknown, with a warning', () => {
    const { warnings } = parseEraserConfig(`${header('v1alpha1')}components:\n  remover: {}\n`);
    assert.deepEqual(
      warnings.map((w) => w.field),
      ['components.remover'],
    );
  });

  test('reads Eraser’s shipped v1alpha2 default config, warning only about nothing', async () => {
    const text = `${header('v1alpha2')}manager:
  runtime: containerd
  otlpEndpoint: ""
  logLevel: info
  scheduling: {repeatInterval: 24h, beginImmediately: true}
  profile: {enabled: false, port: 6060}
  imageJob: {successRatio: 1.0, cleanup: {delayOnSuccess: 0s, delayOnFailure: 24h}}
  pullSecrets: []
  priorityClassName: ""
  nodeFilter: {type: exclude, selectors: [eraser.sh/cleanup.filter, kubernetes.io/os=windows]}
components:
  collector: {enabled: true, request: {mem: 25Mi, cpu: 7m}, limit: {mem: 500Mi, cpu: 0}}
  scanner:
    enabled: true
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
  remover: {request: {mem: 25Mi, cpu: 0}, limit: {mem: 30Mi, cpu: 0}}
`;
    const { config, warnings } = parseEraserConfig(text);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.components.collector.limit, { mem: '500Mi' });
    assert.deepEqual(config.components.remover.request, { mem: '25Mi' });
    assert.equal(config.components.scanner.config.deleteFailedImages, true);
    assert.deepEqual(config.components.scanner.config.vulnerabilities.ignoredStatuses, []);
    await Promise.resolve();
  });

  test('the ConfigMap in deploy/ holds exactly the defaults, with no warnings', async () => {
    const path = join(import.meta.dirname, '..', '..', 'deploy', 'config.yaml');
    const configMap = parse(await readFile(path, 'utf8')) as { data: Record<string, string> };
    const text = configMap.data['controller_manager_config.yaml'] ?? '';
    const { config, warnings } = parseEraserConfig(text);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, defaultEraserConfig());
  });
});

describe('EraserConfig defaults', () => {
  test('match Eraser’s documented defaults', () => {
    const { manager } = defaultEraserConfig();
    assert.deepEqual(manager.runtime, {
      name: 'containerd',
      address: 'unix:///run/containerd/containerd.sock',
    });
    assert.deepEqual(manager.scheduling, { repeatIntervalMs: 24 * HOUR, beginImmediately: true });
    assert.deepEqual(manager.imageJob, {
      successRatio: 1,
      cleanup: { delayOnSuccessMs: 0, delayOnFailureMs: 24 * HOUR },
    });
    assert.deepEqual(manager.nodeFilter.selectors, [
      'eraser.sh/cleanup.filter',
      'kubernetes.io/os=windows',
    ]);
  });

  test('keep images whose scan failed, unlike Eraser', () => {
    assert.equal(defaultEraserConfig().components.scanner.config.deleteFailedImages, false);
  });

  test('are a fresh copy each time, so callers cannot change them for others', () => {
    const first = defaultEraserConfig();
    first.manager.nodeFilter.selectors.push('x');
    first.components.scanner.config.vulnerabilities.types.pop();
    assert.deepEqual(defaultEraserConfig().manager.nodeFilter.selectors.length, 2);
    assert.deepEqual(
      defaultEraserConfig().components.scanner.config.vulnerabilities.types.length,
      2,
    );
  });
});

describe('EraserConfig fields', () => {
  const v3 = header('v1alpha3');

  test('reads durations in Go syntax to milliseconds', () => {
    const text =
      `${v3}manager:\n  scheduling: {repeatInterval: 1h30m}\n` +
      '  imageJob: {cleanup: {delayOnSuccess: 90s, delayOnFailure: 0}}\n';
    const { manager } = parseEraserConfig(text).config;
    assert.equal(manager.scheduling.repeatIntervalMs, 1.5 * HOUR);
    assert.equal(manager.imageJob.cleanup.delayOnSuccessMs, 90_000);
    assert.equal(manager.imageJob.cleanup.delayOnFailureMs, 0);
  });

  test('reads components.remover.minAge, off by default', () => {
    const text = `${v3}components: {remover: {minAge: 168h}}\n`;
    assert.equal(parseEraserConfig(text).config.components.remover.minAgeMs, 168 * HOUR);
    const month = `${v3}components: {remover: {minAge: 720h}}\n`;
    assert.equal(parseEraserConfig(month).config.components.remover.minAgeMs, 720 * HOUR);
    assert.equal(parseEraserConfig(v3).config.components.remover.minAgeMs, 0);
  });

  test('reads components.eraser.minAge in a v1alpha1 file', () => {
    const text = `${header('v1alpha1')}components: {eraser: {minAge: 30m}}\n`;
    assert.equal(parseEraserConfig(text).config.components.remover.minAgeMs, HOUR / 2);
  });

  test('reads a cron schedule in place of the interval', () => {
    const text = `${v3}manager:\n  scheduling: {cron: "0 3 * * *", beginImmediately: false}\n`;
    const { scheduling } = parseEraserConfig(text).config.manager;
    assert.equal(scheduling.cron, '0 3 * * *');
    assert.equal(scheduling.beginImmediately, false);
  });

  test('reads a cron schedule from manager.schedule.cron too', () => {
    const text = `${v3}manager:\n  schedule: {cron: "@daily"}\n`;
    assert.equal(parseEraserConfig(text).config.manager.scheduling.cron, '@daily');
  });

  test('reads node filter, labels, pull secrets and priority class', () => {
    const text = `${v3}manager:
  nodeFilter: {type: include, selectors: [pool=batch, example.com/eraser]}
  additionalPodLabels: {team: platform, example.com/cost-center: "42"}
  pullSecrets: [regcred]
  priorityClassName: low-priority
`;
    const { manager } = parseEraserConfig(text).config;
    assert.deepEqual(manager.nodeFilter, {
      type: 'include',
      selectors: ['pool=batch', 'example.com/eraser'],
    });
    assert.deepEqual(manager.additionalPodLabels, {
      team: 'platform',
      'example.com/cost-center': '42',
    });
    assert.deepEqual(manager.pullSecrets, ['regcred']);
    assert.equal(manager.priorityClassName, 'low-priority');
  });

  test('reads scanner settings from the YAML string', () => {
    const text = `${v3}components:
  scanner:
    config: |
      vulnerabilities: {severities: [CRITICAL], ignoredStatuses: [will_not_fix]}
      timeout: {total: 2h, perImage: 10m}
`;
    const { config } = parseEraserConfig(text).config.components.scanner;
    assert.deepEqual(config.vulnerabilities.severities, ['CRITICAL']);
    assert.deepEqual(config.vulnerabilities.ignoredStatuses, ['will_not_fix']);
    assert.deepEqual(config.timeout, { totalMs: 2 * HOUR, perImageMs: 600_000 });
  });

  test('reports unknown keys far from every known one at error level, at every level', () => {
    const text =
      `${v3}helth: {}\nmanager: {profile: {verbose: true}}\n` +
      'components: {scanner: {config: "extra: 1"}}\n';
    const { warnings } = parseEraserConfig(text);
    assert.deepEqual(
      warnings.map((w) => [w.field, w.level]),
      [
        ['helth', 'error'],
        ['manager.profile.verbose', 'error'],
        ['components.scanner.config.extra', 'error'],
      ],
    );
  });

  test('a misspelt key of an ignored Eraser section is logged with the key it likely meant', () => {
    const { warnings } = parseEraserConfig(`${v3}helth: {healthProbeBindAddress: ":8081"}\n`);
    assert.deepEqual(warnings, [
      {
        field: 'helth',
        message: 'unknown field, ignored (did you mean health?)',
        level: 'error',
        suggestion: 'health',
      },
    ]);
  });

  test('the keys of Eraser’s controller-runtime config are accepted without a word', () => {
    const text =
      `${v3}health: {healthProbeBindAddress: ":8081"}\nmetrics: {bindAddress: ":8080"}\n` +
      'leaderElection: {leaderElect: true, resourceName: e}\nwebhook: {port: 9443}\n';
    assert.deepEqual(parseEraserConfig(text).warnings, []);
  });

  test('lowers a default request to a smaller limit the file sets, as Kubernetes would', () => {
    const text = `${header('v1alpha2')}components: {remover: {limit: {mem: 30Mi}}}\n`;
    const { remover } = parseEraserConfig(text).config.components;
    assert.deepEqual(remover.request, { mem: '30Mi', cpu: '10m' });
    assert.deepEqual(remover.limit, { mem: '30Mi' });
  });

  test('accepts components.remover.enabled: true, the only state the remover has', () => {
    const text = `${header('v1alpha2')}components:\n  remover: {enabled: true}\n`;
    const { config, warnings } = parseEraserConfig(text);
    assert.equal(config.components.remover.enabled, true);
    assert.deepEqual(warnings, []);
  });

  test('refuses components.remover.enabled: false rather than removing anyway', () => {
    const text = `${header('v1alpha2')}components:\n  remover: {enabled: false}\n`;
    expectIssue(text, 'components.remover.enabled', /cannot be switched off/u);
  });
});

describe('EraserConfig validation errors name the field, the value and what is allowed', () => {
  const v3 = header('v1alpha3');

  // These sections decide which nodes are cleaned and how jobs are judged: a typo is refused.
  const strict: [string, string, RegExp][] = [
    ['nodeFilter: {selector: [a]}', 'nodeFilter.selector', /did you mean selectors\?/u],
    ['nodeFilter: {tpye: include}', 'nodeFilter.tpye', /type, selectors \(did you mean type/u],
    ['imageJob: {successRatoi: 0.5}', 'imageJob.successRatoi', /did you mean successRatio\?/u],
    [
      'imageJob: {cleanup: {delayOnSucess: 0s}}',
      'imageJob.cleanup.delayOnSucess',
      /did you mean delayOnSuccess\?/u,
    ],
  ];
  for (const [yaml, field, allowed] of strict) {
    test(`an unknown key is refused under manager: ${field}`, () => {
      const err = expectIssue(`${v3}manager: {${yaml}}\n`, `manager.${field}`, allowed);
      assert.match(err.message, new RegExp(`manager\\.${field.replace(/\./gu, '\\.')}`, 'u'));
    });
  }

  test('an unknown key far from every known one is not refused outside the strict sections', () => {
    const { warnings } = parseEraserConfig(`${v3}manager: {dryRun: true}\n`);
    assert.deepEqual(
      warnings.map((w) => [w.field, w.level]),
      [['manager.dryRun', 'error']],
    );
  });
  const cases: [string, string, string, RegExp][] = [
    ['a missing apiVersion', 'kind: EraserConfig\n', 'apiVersion', /v1alpha3/u],
    [
      'an unknown apiVersion',
      'apiVersion: eraser.sh/v2\nkind: EraserConfig\n',
      'apiVersion',
      /v1alpha1/u,
    ],
    ['a wrong kind', 'apiVersion: eraser.sh/v1alpha3\nkind: Config\n', 'kind', /EraserConfig/u],
    ['a scalar document', '42\n', '', /mapping/u],
    [
      'an unknown runtime',
      `${v3}manager: {runtime: {name: podman}}\n`,
      'manager.runtime.name',
      /containerd/u,
    ],
    [
      'a runtime object without name',
      `${v3}manager: {runtime: {address: "unix:///x"}}\n`,
      'manager.runtime.name',
      /crio/u,
    ],
    [
      'a runtime address without scheme',
      `${v3}manager: {runtime: {name: containerd, address: /run/c.sock}}\n`,
      'manager.runtime.address',
      /unix:\/\//u,
    ],
    [
      'an unknown v1alpha2 runtime name',
      `${header('v1alpha2')}manager: {runtime: rkt}\n`,
      'manager.runtime',
      /containerd/u,
    ],
    [
      'a negative repeat interval',
      `${v3}manager: {scheduling: {repeatInterval: -1h}}\n`,
      'manager.scheduling.repeatInterval',
      /positive/u,
    ],
    [
      'a zero repeat interval',
      `${v3}manager: {scheduling: {repeatInterval: 0s}}\n`,
      'manager.scheduling.repeatInterval',
      /positive/u,
    ],
    [
      'a duration in days',
      `${v3}manager: {scheduling: {repeatInterval: 1d}}\n`,
      'manager.scheduling.repeatInterval',
      /Go duration/u,
    ],
    [
      'a duration as a number',
      `${v3}manager: {imageJob: {cleanup: {delayOnFailure: 3600}}}\n`,
      'manager.imageJob.cleanup.delayOnFailure',
      /Go duration/u,
    ],
    [
      'a negative cleanup delay',
      `${v3}manager: {imageJob: {cleanup: {delayOnSuccess: -5m}}}\n`,
      'manager.imageJob.cleanup.delayOnSuccess',
      /non-negative/u,
    ],
    [
      'beginImmediately as a string',
      `${v3}manager: {scheduling: {beginImmediately: "yes"}}\n`,
      'manager.scheduling.beginImmediately',
      /true or false/u,
    ],
    [
      'an invalid cron expression',
      `${v3}manager: {scheduling: {cron: "61 * * * *"}}\n`,
      'manager.scheduling.cron',
      /cron/u,
    ],
    [
      'a cron expression with seconds',
      `${v3}manager: {scheduling: {cron: "* * * * * *"}}\n`,
      'manager.scheduling.cron',
      /five-field/u,
    ],
    [
      'both cron and repeatInterval',
      `${v3}manager: {scheduling: {cron: "@daily", repeatInterval: 1h}}\n`,
      'manager.scheduling.repeatInterval',
      /one or the other/u,
    ],
    [
      'cron in both places',
      `${v3}manager: {scheduling: {cron: "@daily"}, schedule: {cron: "@hourly"}}\n`,
      'manager.schedule.cron',
      /already set/u,
    ],
    [
      'a success ratio above 1',
      `${v3}manager: {imageJob: {successRatio: 1.5}}\n`,
      'manager.imageJob.successRatio',
      /0 to 1/u,
    ],
    [
      'a negative success ratio',
      `${v3}manager: {imageJob: {successRatio: -0.1}}\n`,
      'manager.imageJob.successRatio',
      /0 to 1/u,
    ],
    [
      'a success ratio as text',
      `${v3}manager: {imageJob: {successRatio: "90%"}}\n`,
      'manager.imageJob.successRatio',
      /number/u,
    ],
    [
      'an unknown node filter type',
      `${v3}manager: {nodeFilter: {type: only}}\n`,
      'manager.nodeFilter.type',
      /include/u,
    ],
    [
      'a malformed node selector',
      `${v3}manager: {nodeFilter: {selectors: ["bad key=x"]}}\n`,
      'manager.nodeFilter.selectors[0]',
      /label key/u,
    ],
    [
      'selectors as a string',
      `${v3}manager: {nodeFilter: {selectors: "a=b"}}\n`,
      'manager.nodeFilter.selectors',
      /list/u,
    ],
    ['an unknown log level', `${v3}manager: {logLevel: verbose}\n`, 'manager.logLevel', /debug/u],
    [
      'a profile port out of range',
      `${v3}manager: {profile: {port: 70000}}\n`,
      'manager.profile.port',
      /65535/u,
    ],
    [
      'profiling on port 0',
      `${v3}manager: {profile: {enabled: true, port: 0}}\n`,
      'manager.profile.port',
      /1 to 65535/u,
    ],
    [
      'an invalid pull secret name',
      `${v3}manager: {pullSecrets: [My_Secret]}\n`,
      'manager.pullSecrets[0]',
      /DNS/u,
    ],
    [
      'a pod label value too long',
      `${v3}manager: {additionalPodLabels: {a: "${'x'.repeat(64)}"}}\n`,
      'manager.additionalPodLabels.a',
      /63/u,
    ],
    [
      'a pod label with a bad key',
      `${v3}manager: {additionalPodLabels: {"-a": b}}\n`,
      'manager.additionalPodLabels.-a',
      /label key/u,
    ],
    ['manager as a list', `${v3}manager: [a]\n`, 'manager', /mapping/u],
    [
      'an invalid memory quantity',
      `${v3}components: {collector: {request: {mem: 25MB}}}\n`,
      'components.collector.request.mem',
      /quantity/u,
    ],
    [
      'a negative cpu quantity',
      `${v3}components: {remover: {limit: {cpu: -1}}}\n`,
      'components.remover.limit.cpu',
      /non-negative/u,
    ],
    [
      'a request above its limit',
      `${v3}components: {scanner: {request: {mem: 2Gi}, limit: {mem: 1Gi}}}\n`,
      'components.scanner.request.mem',
      /at most limit.mem \(1Gi\)/u,
    ],
    [
      'enabled as a number',
      `${v3}components: {collector: {enabled: 1}}\n`,
      'components.collector.enabled',
      /true or false/u,
    ],
    [
      'an image repo with a tag',
      `${v3}components: {remover: {image: {repo: "a/b:1"}}}\n`,
      'components.remover.image.repo',
      /repository/u,
    ],
    [
      'an image tag with spaces',
      `${v3}components: {remover: {image: {tag: "v 1"}}}\n`,
      'components.remover.image.tag',
      /tag/u,
    ],
    [
      'scanner config as a mapping',
      `${v3}components: {scanner: {config: {cacheDir: /x}}}\n`,
      'components.scanner.config',
      /string/u,
    ],
    [
      'scanner config that is not YAML',
      `${v3}components: {scanner: {config: "a: [1"}}\n`,
      'components.scanner.config',
      /valid YAML/u,
    ],
    [
      'an unknown severity',
      `${v3}components: {scanner: {config: "vulnerabilities: {severities: [SEVERE]}"}}\n`,
      'components.scanner.config.vulnerabilities.severities[0]',
      /CRITICAL/u,
    ],
    [
      'an unknown vulnerability type',
      `${v3}components: {scanner: {config: "vulnerabilities: {types: [kernel]}"}}\n`,
      'components.scanner.config.vulnerabilities.types[0]',
      /library/u,
    ],
    [
      'an unknown ignored status',
      `${v3}components: {scanner: {config: "vulnerabilities: {ignoredStatuses: [wontfix]}"}}\n`,
      'components.scanner.config.vulnerabilities.ignoredStatuses[0]',
      /will_not_fix/u,
    ],
    [
      'a zero scanner timeout',
      `${v3}components: {scanner: {config: "timeout: {total: 0s}"}}\n`,
      'components.scanner.config.timeout.total',
      /positive/u,
    ],
    [
      'a per-image timeout above the total',
      `${v3}components: {scanner: {config: "timeout: {total: 30m, perImage: 1h}"}}\n`,
      'components.scanner.config.timeout.perImage',
      /timeout.total/u,
    ],
    [
      'a relative cache dir',
      `${v3}components: {scanner: {config: "cacheDir: cache"}}\n`,
      'components.scanner.config.cacheDir',
      /absolute/u,
    ],
    [
      'a remover minAge over ten years, which the worker would refuse',
      `${v3}components: {remover: {minAge: 1000000h}}\n`,
      'components.remover.minAge',
      /87600h/u,
    ],
    [
      'a remover minAge in days, which Go durations do not have',
      `${v3}components: {remover: {minAge: 7d}}\n`,
      'components.remover.minAge',
      /Go duration/u,
    ],
    [
      'deleteFailedImages as a string',
      `${v3}components: {scanner: {config: "deleteFailedImages: 'true'"}}\n`,
      'components.scanner.config.deleteFailedImages',
      /true or false/u,
    ],
  ];
  for (const [name, text, field, allowed] of cases) {
    test(`rejects ${name} at ${field === '' ? 'the document' : field}`, () => {
      expectIssue(text, field, allowed);
    });
  }

  test('reports every invalid field of a file at once', () => {
    const text = `${v3}manager: {logLevel: loud, imageJob: {successRatio: 3}}\n`;
    const err = expectIssue(text, 'manager.logLevel');
    assert.deepEqual(
      err.issues.map((i) => i.field),
      ['manager.logLevel', 'manager.imageJob.successRatio'],
    );
    assert.deepEqual(
      { field: err.context['field'], value: err.context['value'] },
      { field: 'manager.logLevel', value: 'loud' },
    );
    assert.match(err.message, /manager\.logLevel: got "loud", expected one of/u);
  });
});
