import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { defaultEraserConfig } from '../api/config.js';
import { InvalidEndpointError } from '../runtime/errors.js';
import { workerPipeline } from './pipeline.js';
import { buildPodTemplate, type TemplateInput } from './pod-template.js';

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
    const pod = buildPodTemplate(input());
    const spec = pod.spec;
    assert.equal(spec?.restartPolicy, 'Never');
    assert.deepEqual(spec?.tolerations, [{ operator: 'Exists' }]);
    assert.equal(spec?.priorityClassName, 'system-node-critical');
    assert.deepEqual(spec?.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(spec?.activeDeadlineSeconds, 3600);
    assert.equal(spec?.automountServiceAccountToken, false);
    assert.equal(pod.metadata?.labels?.['team'], 'platform');
    assert.equal(pod.metadata?.labels?.['eraser.sh/job'], 'imagejob-abc');
    assert.equal(pod.metadata?.labels?.['eraser.sh/type'], 'manual');
  });

  test('the runtime socket from the config is the only host path, mounted as a socket', () => {
    const spec = buildPodTemplate(input()).spec;
    const hostPaths = spec?.volumes?.filter((v) => v.hostPath !== undefined);
    assert.deepEqual(
      hostPaths?.map((v) => v.hostPath),
      [{ path: '/run/containerd/containerd.sock', type: 'Socket' }],
    );
  });

  test('the container is hardened: no capabilities, read-only root, seccomp, no escalation', () => {
    const container = buildPodTemplate(input()).spec?.containers[0];
    assert.deepEqual(container?.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(container?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(
      container?.securityContext?.runAsNonRoot,
      false,
      'the default socket is root-only',
    );
  });

  test('a non-root user is used when the operator grants it the socket through a group', () => {
    const pod = buildPodTemplate(
      input({
        options: {
          namespace: 'eraser-system',
          command: ['eraser'],
          runTimeoutMs: 60_000,
          runAsUser: 65532,
          socketGroup: 998,
        },
      }),
    );
    assert.equal(pod.spec?.containers[0]?.securityContext?.runAsNonRoot, true);
    assert.equal(pod.spec?.containers[0]?.securityContext?.runAsUser, 65532);
    assert.deepEqual(pod.spec?.securityContext?.supplementalGroups, [998]);
  });

  test('requests and limits come from the config; zero means unset', () => {
    const resources = buildPodTemplate(input()).spec?.containers[0]?.resources;
    assert.deepEqual(resources, {
      requests: { memory: '64Mi' },
      limits: { memory: '256Mi', cpu: '500m' },
    });
  });

  test('the image list and the exclusions reach the worker as mounted files', () => {
    const pod = buildPodTemplate(input());
    const container = pod.spec?.containers[0];
    assert.deepEqual(container?.args?.slice(0, 3), [
      'run',
      '--image-list',
      '/run/eraser.sh/job/images.json',
    ]);
    assert.ok(container?.args?.includes('/run/eraser.sh/exclusions'));
    const volumes = new Map(pod.spec?.volumes?.map((v) => [v.name, v]));
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

  test('automated runs are off when the collector is disabled', () => {
    const config = defaultEraserConfig();
    config.components.collector.enabled = false;
    const pipeline = workerPipeline('automated', config, false);
    assert.equal(pipeline.ok ? '' : pipeline.reason, 'CollectorDisabled');
  });
});
