import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { parseAllDocuments } from 'yaml';

import { parseEraserConfig } from '../src/api/config.js';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const DEPLOY = join(import.meta.dirname, '..', 'deploy');
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const SKIP =
  kubectl.error === undefined ? false : 'kubectl is not installed; cannot render deploy/';

function render(): Manifest[] {
  const out = spawnSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.status, 0, out.stderr);
  return parseAllDocuments(out.stdout).map((doc) => {
    assert.deepEqual(doc.errors, []);
    return doc.toJS() as Manifest;
  });
}

function find(all: Manifest[], kind: string, name: string): Manifest {
  const found = all.find((m) => m.kind === kind && m.metadata.name === name);
  assert.ok(found, `${kind}/${name} missing`);
  return found;
}

describe('kubectl kustomize deploy/', { skip: SKIP }, () => {
  const all = SKIP === false ? render() : [];

  test('renders every object the manager needs, in its namespace', () => {
    const kinds = all.map((m) => `${m.kind}/${m.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/eraser-manager',
      'ClusterRoleBinding/eraser-manager',
      'ConfigMap/eraser-exclusions',
      'ConfigMap/eraser-manager-config',
      'CustomResourceDefinition/imagejobs.eraser.sh',
      'CustomResourceDefinition/imagelists.eraser.sh',
      'Deployment/eraser-manager',
      'Namespace/eraser-system',
      'Role/eraser-manager',
      'RoleBinding/eraser-manager',
      'ServiceAccount/eraser-manager',
    ]);
    const clusterScoped = [
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
    ];
    for (const m of all.filter((x) => !clusterScoped.includes(x.kind))) {
      assert.equal(m.metadata.namespace, 'eraser-system', `${m.kind}/${m.metadata.name}`);
    }
  });

  test('the manager ConfigMap holds a valid EraserConfig without warnings', () => {
    const data = find(all, 'ConfigMap', 'eraser-manager-config')['data'] as Record<string, string>;
    const { warnings } = parseEraserConfig(data['controller_manager_config.yaml'] ?? '');
    assert.deepEqual(warnings, []);
  });

  test('the example exclusion list carries the label the manager selects on', () => {
    const cm = find(all, 'ConfigMap', 'eraser-exclusions');
    assert.equal(cm.metadata.labels?.['eraser.sh/exclude.list'], 'true');
    const data = cm['data'] as Record<string, string>;
    const parsed = JSON.parse(data['excluded'] ?? '') as { excluded: unknown };
    assert.ok(Array.isArray(parsed.excluded));
  });

  test('the manager runs hardened, probed, with the config mounted from the ConfigMap', () => {
    const pod = (
      find(all, 'Deployment', 'eraser-manager')['spec'] as { template: { spec: PodSpec } }
    ).template.spec;
    const [container] = pod.containers;
    assert.ok(container);
    assert.equal(pod.serviceAccountName, 'eraser-manager');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.ok(container.ports.some((p) => p.name === 'metrics'));
    assert.ok(container.resources.limits.memory !== undefined);
    const volume = pod.volumes.find((v) => v.configMap?.name === 'eraser-manager-config');
    assert.ok(volume && container.volumeMounts.some((m) => m.name === volume.name));
    assert.ok(container.args.includes('--config=/config/controller_manager_config.yaml'));
  });

  test('RBAC grants no wildcards, and pods and ConfigMaps only in the manager namespace', () => {
    const clusterRules = find(all, 'ClusterRole', 'eraser-manager')['rules'] as Rule[];
    const roleRules = find(all, 'Role', 'eraser-manager')['rules'] as Rule[];
    for (const rule of [...clusterRules, ...roleRules]) {
      assert.ok(![...rule.apiGroups, ...rule.resources, ...rule.verbs].includes('*'));
    }
    const clusterResources = clusterRules.flatMap((r) => r.resources);
    assert.ok(!clusterResources.includes('pods') && !clusterResources.includes('configmaps'));
    assert.ok(
      !clusterRules.some((r) => r.resources.includes('nodes') && r.verbs.includes('update')),
    );
    const roleResources = roleRules.flatMap((r) => r.resources).sort();
    assert.deepEqual(roleResources, ['configmaps', 'leases', 'pods']);
  });
});

interface PodSpec {
  serviceAccountName: string;
  securityContext: { runAsNonRoot: boolean; seccompProfile: { type: string } };
  containers: {
    args: string[];
    securityContext: unknown;
    livenessProbe: { httpGet: { path: string } };
    readinessProbe: { httpGet: { path: string } };
    ports: { name: string }[];
    resources: { limits: { memory?: string } };
    volumeMounts: { name: string }[];
  }[];
  volumes: { name: string; configMap?: { name: string } }[];
}
