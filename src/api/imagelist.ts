import { IMAGE_LIST_CONDITIONS, CONDITIONS_SCHEMA, type Condition } from './condition.js';
import type { CrdDefinition, ObjectMeta } from './crd.js';
import { arr, dateTime, int, obj, str } from './schema.js';

export { IMAGE_LIST_CONDITIONS };

/** ImageList: the images to remove from every eligible node, where no container uses them. */
export interface ImageList {
  apiVersion: 'eraser.sh/v1' | 'eraser.sh/v1alpha1';
  kind: 'ImageList';
  metadata: ObjectMeta;
  spec: ImageListSpec;
  status?: ImageListStatus;
}

export interface ImageListSpec {
  /** Image references (tag, digest or ID) to remove when unused; `"*"` means every unused image. */
  images: string[];
}

export interface ImageListStatus {
  /** When the last run completed (RFC 3339). */
  timestamp: string;
  /** Nodes where the run succeeded. */
  success: number;
  /** Nodes where the run failed. */
  failed: number;
  /** Nodes skipped, e.g. by the node filter. */
  skipped: number;
  /** The `metadata.generation` of the spec the last run used; a newer spec runs again. */
  observedGeneration?: number;
  conditions?: Condition[];
}

const COUNT = { format: 'int64', minimum: 0 } as const;

const SPEC = obj(
  'The images to remove.',
  {
    images: arr(
      'Image references (tag, digest or image ID) to remove from nodes where no container uses ' +
        'them; "*" removes every unused image.',
      str('An image reference, or "*".'),
    ),
  },
  ['images'],
);

const STATUS = obj(
  'The outcome of the last run.',
  {
    timestamp: dateTime('When the last run completed.'),
    success: int('Number of nodes where the run succeeded.', COUNT),
    failed: int('Number of nodes where the run failed.', COUNT),
    skipped: int('Number of nodes skipped, e.g. by the node filter.', COUNT),
    observedGeneration: int('The metadata.generation of the spec the last run used.', COUNT),
    conditions: CONDITIONS_SCHEMA,
  },
  ['timestamp', 'success', 'failed', 'skipped'],
);

/** The ImageList CRD: schema, names and the columns `kubectl get imagelists` prints. */
export const IMAGE_LIST_CRD: CrdDefinition = {
  kind: 'ImageList',
  plural: 'imagelists',
  singular: 'imagelist',
  description: 'ImageList names images to remove from every eligible node where they are unused.',
  properties: { spec: SPEC, status: STATUS },
  printerColumns: [
    { name: 'Success', type: 'integer', jsonPath: '.status.success', description: 'Nodes done' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.failed', description: 'Nodes failed' },
    { name: 'Skipped', type: 'integer', jsonPath: '.status.skipped', description: 'Nodes skipped' },
    {
      name: 'Last Run',
      type: 'date',
      jsonPath: '.status.timestamp',
      description: 'When the last run completed',
    },
    {
      name: 'Result',
      type: 'string',
      jsonPath: `.status.conditions[?(@.type=="${IMAGE_LIST_CONDITIONS.succeeded}")].reason`,
      description: 'Why the last run succeeded or failed',
    },
    {
      name: 'Images',
      type: 'string',
      jsonPath: '.spec.images',
      description: 'The images to remove',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age' },
  ],
};
