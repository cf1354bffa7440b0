import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseDuration } from '../node/min-age.js';

import { defaultEraserConfig } from '../api/config.js';
import { InvalidEndpointError } from '../runtime/errors.js';
import { workerPipeline } from './pipeline.js';
import { buildPodTemplate, type TemplateInput, type WorkerPod } from './pod-template.js';

/** The parts of a built pod the tests read, all of which a template always has. */
function parts(pod: WorkerPod) {
  const spec = pod.spec ?? assert.fail('no spec');
  const container = spec.containers[0] ?? assert.fail('no container');
  const labels = pod.metadata?.labels ?? assert.fail('no labels');
  return {
    spec,
    container,
    labels,
    security: container.securityContext ?? assert.fail('no context'),
  };
}

function input(over: Partial<TemplateInput> = {}): TemplateInput {
  const config = defaultEraserConfig();
  config.manager.priorityClassName = 'system-node-critical';
  config.manager.pullSecrets = ['regcred'];
  config.manager.additionalPodLabels = { team: 'platform' };
  config.components.remover.request = { mem: '64Mi', cpu: '0' };
  config.components.remover.limit = { mem: '256Mi', cpu: '500m' };
  const pipeline = workerPipeline('manual', config, true);
  assert.ok(pipeline.ok);
  return {
    kind: 'manual',
    jobName: 'imagejob-abc',
    configMapName: 'imagejob-abc',
    config,
    args: pipeline.args,
    container: pipeline.container,
    exclusionFiles: [{ key: 'exclude-0', path: '0.cm.excluded' }],
    options: { namespace: 'eraser-system', command: ['eraser'], runTimeoutMs: 3_600_000 },
    ...over,
  };
}

describe('worker pod template', () => {
  test('the pod tolerates every taint, runs once, and carries config and job labels', () => {
    const { spec, labels } = parts(buildPodTemplate(input()));
    assert.equal(spec.restartPolicy, 'Never');
    assert.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);
    assert.equal(spec.priorityClassName, 'system-node-critical');
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(spec.activeDeadlineSeconds, 3600);
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(labels['team'], 'platform');
    assert.equal(labels['eraser.sh/job'], 'imagejob-abc');
    assert.equal(labels['eraser.sh/type'], 'manual');
  });

  test('the runtime socket from the config is the only host path, mounted as a socket', () => {
    const { spec } = parts(buildPodTemplate(input()));
    const hostPaths = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined);
    assert.deepEqual(
      hostPaths.map((v) => v.hostPath),
      [{ path: '/run/containerd/containerd.sock', type: 'Socket' }],
    );
  });

  test('the container is hardened: no capabilities, read-only root, seccomp, no escalation', () => {
    const { security } = parts(buildPodTemplate(input()));
    assert.deepEqual(security.capabilities, { drop: ['ALL'] });
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.equal(security.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(security.runAsNonRoot, false, 'the default socket is root-only');
  });

  test('a non-root user is used when the operator grants it the socket through a group', () => {
    const options = {
      namespace: 'eraser-system',
      command: ['eraser'],
      runTimeoutMs: 60_000,
      runAsUser: 65532,
      socketGroup: 998,
    };
    const { spec, security } = parts(buildPodTemplate(input({ options })));
    assert.equal(security.runAsNonRoot, true);
    assert.equal(security.runAsUser, 65532);
    assert.deepEqual(spec.securityContext?.supplementalGroups, [998]);
  });

  test('requests and limits come from the config; zero means unset', () => {
    const { container } = parts(buildPodTemplate(input()));
    assert.deepEqual(container.resources, {
      requests: { memory: '64Mi' },
      limits: { memory: '256Mi', cpu: '500m' },
    });
  });

  test('the image list and the exclusions reach the worker as mounted files', () => {
    const { spec, container } = parts(buildPodTemplate(input()));
    const args = container.args ?? [];
    assert.deepEqual(args.slice(0, 3), ['run', '--image-list', '/run/eraser.sh/job/images.json']);
    assert.ok(args.includes('/run/eraser.sh/exclusions'));
    const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
    assert.deepEqual(volumes.get('job')?.configMap?.items, [
      { key: 'images.json', path: 'images.json' },
    ]);
    assert.deepEqual(volumes.get('exclusions')?.configMap?.items, [
      { key: 'exclude-0', path: '0.cm.excluded' },
    ]);
  });

  test('a runtime address that is not a unix socket is refused', () => {
    const bad = input();
    bad.config.manager.runtime.address = 'tcp://10.0.0.1:1234';
    assert.throws(() => buildPodTemplate(bad), InvalidEndpointError);
  });
});

describe('worker pipeline', () => {
  test('automated runs remove every unused image when the scanner is disabled', () => {
    const config = defaultEraserConfig();
    config.components.scanner.enabled = false;
    const pipeline = workerPipeline('automated', config, false);
    assert.ok(pipeline.ok);
    assert.deepEqual(pipeline.args.slice(0, 2), ['run', '--all-unused']);
  });

  test('automated runs are refused, not widened, when the scanner is on but absent', () => {
    const pipeline = workerPipeline('automated', defaultEraserConfig(), false);
    assert.equal(pipeline.ok ? '' : pipeline.reason, 'ScannerUnavailable');
  });

  test('a scanner step narrows automated removal with its own arguments', () => {
    const scanner = { name: 'fake', args: () => ['--scan-verdicts', '/x'] };
    const pipeline = workerPipeline('automated', defaultEraserConfig(), false, scanner);
    assert.ok(pipeline.ok);
    assert.deepEqual(pipeline.args.slice(0, 4), ['run', '--all-unused', '--scan-verdicts', '/x']);
  });

  test('components.remover.minAge reaches every worker as --min-age in whole seconds', () => {
    const config = defaultEraserConfig();
    config.components.remover.minAgeMs = 7 * 86_400_000 + 1;
    for (const kind of ['manual', 'automated'] as const) {
      config.components.scanner.enabled = false;
      const pipeline = workerPipeline(kind, config, false);
      assert.ok(pipeline.ok);
      const at = pipeline.args.indexOf('--min-age');
      assert.deepEqual(pipeline.args.slice(at, at + 2), ['--min-age', '604801s']);
    }
  });

  test('a month of minAge gives a --min-age the worker accepts', () => {
    const config = defaultEraserConfig();
    config.components.remover.minAgeMs = 720 * 3_600_000;
    const pipeline = workerPipeline('manual', config, false);
    assert.ok(pipeline.ok);
    const flag = pipeline.args[pipeline.args.indexOf('--min-age') + 1] ?? '';
    assert.equal(parseDuration(flag), 720 * 3_600_000);
  });

  test('without minAge no worker gets --min-age', () => {
    const pipeline = workerPipeline('manual', defaultEraserConfig(), false);
    assert.ok(pipeline.ok);
    assert.equal(pipeline.args.includes('--min-age'), false);
  });

  test('automated runs are off when the collector is disabled', () => {
    const config = defaultEraserConfig();
    config.components.collector.enabled = false;
    const pipeline = workerPipeline('automated', config, false);
    assert.equal(pipeline.ok ? '' : pipeline.reason, 'CollectorDisabled');
  });
});
