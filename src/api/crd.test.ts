import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { parse } from 'yaml';

import { crdFileName, crdManifest, renderCrdYaml } from './crd.js';
import { ALL_CRDS } from './crds.js';
import { IMAGE_JOB_CRD } from './imagejob.js';
import { IMAGE_LIST_CRD } from './imagelist.js';
import { validateSchema, type JSONSchemaProps } from './schema.js';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');

interface Version {
  name: string;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources: unknown;
}

function versions(def: typeof IMAGE_LIST_CRD): Version[] {
  const spec = crdManifest(def)['spec'] as { versions: Version[] };
  return spec.versions;
}

function schemaOf(def: typeof IMAGE_LIST_CRD): JSONSchemaProps {
  const [first] = versions(def);
  assert.ok(first);
  return first.schema.openAPIV3Schema;
}

describe('generated CRD manifests', () => {
  for (const def of ALL_CRDS) {
    test(`deploy/crds/${crdFileName(def)} is what src/api generates`, async () => {
      const committed = await readFile(join(CRD_DIR, crdFileName(def)), 'utf8');
      assert.equal(committed, renderCrdYaml(def), 'run: npx tsx scripts/gen-crds.ts');
    });

    test(`${def.kind} is cluster-scoped, stores v1, serves v1alpha1 with the same schema`, () => {
      const manifest = crdManifest(def) as { spec: { scope: string; group: string } };
      assert.equal(manifest.spec.scope, 'Cluster');
      assert.equal(manifest.spec.group, 'eraser.sh');
      const [v1, alpha] = versions(def);
      assert.deepEqual(
        [v1?.name, v1?.storage, alpha?.name, alpha?.storage],
        ['v1', true, 'v1alpha1', false],
      );
      assert.deepEqual(v1?.schema, alpha?.schema);
      assert.deepEqual(v1?.subresources, { status: {} });
    });
  }
});

describe('ImageList schema', () => {
  const schema = schemaOf(IMAGE_LIST_CRD);

  const accepted: [string, unknown][] = [
    [
      'the manifest from Eraser’s quick start',
      {
        apiVersion: 'eraser.sh/v1',
        kind: 'ImageList',
        metadata: { name: 'imagelist' },
        spec: { images: ['docker.io/library/alpine:3.7.3'] },
      },
    ],
    [
      'a v1alpha1 manifest removing every unused image',
      {
        apiVersion: 'eraser.sh/v1alpha1',
        kind: 'ImageList',
        metadata: {},
        spec: { images: ['*'] },
      },
    ],
    [
      'a status written by Eraser',
      {
        spec: { images: [] },
        status: { timestamp: '2024-01-02T03:04:05Z', success: 3, failed: 0, skipped: 1 },
      },
    ],
    [
      'a status with conditions',
      {
        spec: { images: ['a'] },
        status: {
          timestamp: '2024-01-02T03:04:05Z',
          success: 3,
          failed: 1,
          skipped: 0,
          conditions: [
            {
              type: 'Succeeded',
              status: 'False',
              lastTransitionTime: '2024-01-02T03:04:05Z',
              reason: 'TooManyNodesFailed',
              message: '1 of 4 nodes failed',
            },
          ],
        },
      },
    ],
  ];
  for (const [name, value] of accepted) {
    test(`accepts ${name}`, () => {
      assert.deepEqual(validateSchema(schema, value), []);
    });
  }

  const rejected: [string, unknown, string][] = [
    ['a manifest without spec.images', { spec: {} }, '.spec.images'],
    ['images given as one string', { spec: { images: 'alpine' } }, '.spec.images'],
    ['a non-string image', { spec: { images: [3] } }, '.spec.images[0]'],
    [
      'a negative node count',
      {
        spec: { images: [] },
        status: { timestamp: '2024-01-02T03:04:05Z', success: -1, failed: 0, skipped: 0 },
      },
      '.status.success',
    ],
    [
      'a timestamp that is not RFC 3339',
      {
        spec: { images: [] },
        status: { timestamp: 'yesterday', success: 0, failed: 0, skipped: 0 },
      },
      '.status.timestamp',
    ],
  ];
  for (const [name, value, path] of rejected) {
    test(`rejects ${name} at ${path}`, () => {
      const issues = validateSchema(schema, value);
      assert.ok(
        issues.some((i) => i.path === path),
        JSON.stringify(issues),
      );
    });
  }

  test('the example in deploy/examples validates', async () => {
    const text = await readFile(join(CRD_DIR, '..', 'examples', 'imagelist.yaml'), 'utf8');
    assert.deepEqual(validateSchema(schema, parse(text)), []);
  });
});

describe('ImageJob schema', () => {
  const schema = schemaOf(IMAGE_JOB_CRD);

  test('accepts a status as Eraser writes it', () => {
    const status = { desired: 3, succeeded: 2, failed: 0, skipped: 1, phase: 'Running' };
    assert.deepEqual(validateSchema(schema, { status }), []);
  });

  test('rejects a phase other than Running, Completed or Failed', () => {
    const status = { desired: 1, succeeded: 0, failed: 0, skipped: 0, phase: 'Pending' };
    const issues = validateSchema(schema, { status });
    assert.deepEqual(
      issues.map((i) => i.path),
      ['.status.phase'],
    );
  });

  test('has no spec: the controller reports everything in status', () => {
    assert.deepEqual(Object.keys(schema.properties ?? {}), [
      'apiVersion',
      'kind',
      'metadata',
      'status',
    ]);
  });
});

describe('printer columns', () => {
  function columns(def: typeof IMAGE_LIST_CRD): string[] {
    return def.printerColumns.filter((c) => c.priority === undefined).map((c) => c.name);
  }

  test('kubectl get imagelists shows node counts, the last run and its result', () => {
    assert.deepEqual(columns(IMAGE_LIST_CRD), [
      'Success',
      'Failed',
      'Skipped',
      'Last Run',
      'Result',
      'Age',
    ]);
  });

  test('kubectl get imagejobs shows phase and pod counts', () => {
    assert.deepEqual(columns(IMAGE_JOB_CRD), ['Phase', 'Desired', 'Succeeded', 'Failed', 'Age']);
  });

  test('every column points at a field the schema defines', () => {
    for (const def of ALL_CRDS) {
      for (const column of def.printerColumns) {
        const [, top = '', field = ''] = /^\.(\w+)\.(\w+)/u.exec(column.jsonPath) ?? [];
        if (top === 'metadata') continue;
        assert.ok(def.properties[top]?.properties?.[field], `${def.kind} ${column.jsonPath}`);
      }
    }
  });
});
