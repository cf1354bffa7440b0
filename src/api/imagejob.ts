import type { CrdDefinition, ObjectMeta } from './crd.js';
import { dateTime, int, obj, str } from './schema.js';

export const IMAGE_JOB_PHASES = ['Running', 'Completed', 'Failed'] as const;
export type ImageJobPhase = (typeof IMAGE_JOB_PHASES)[number];

/**
 * ImageJob: one run across the cluster (one worker pod per eligible node). It has no spec: the
 * controller creates it and reports progress in its status.
 */
export interface ImageJob {
  apiVersion: 'eraser.sh/v1' | 'eraser.sh/v1alpha1';
  kind: 'ImageJob';
  metadata: ObjectMeta;
  status?: ImageJobStatus;
}

export interface ImageJobStatus {
  /** Worker pods the job wants (eligible nodes). */
  desired: number;
  /** Worker pods that completed successfully. */
  succeeded: number;
  /** Worker pods that failed. */
  failed: number;
  /** Nodes skipped, e.g. by the node filter or because they are not Linux. */
  skipped: number;
  phase: ImageJobPhase;
  /** When the finished job may be deleted (RFC 3339). */
  deleteAfter?: string;
}

const COUNT = { minimum: 0 } as const;

const STATUS = obj(
  'Progress of the job across nodes.',
  {
    desired: int(
      'Nodes the job covers: worker pods wanted plus nodes skipped by the filter.',
      COUNT,
    ),
    succeeded: int('Number of worker pods that completed successfully.', COUNT),
    failed: int('Number of worker pods that failed.', COUNT),
    skipped: int('Number of nodes skipped, e.g. by the node filter.', COUNT),
    phase: str('Running, Completed or Failed.', { enum: [...IMAGE_JOB_PHASES] }),
    deleteAfter: dateTime('When the finished job may be deleted.'),
  },
  ['desired', 'succeeded', 'failed', 'skipped', 'phase'],
);

/** The ImageJob CRD: status only, and the columns `kubectl get imagejobs` prints. */
export const IMAGE_JOB_CRD: CrdDefinition = {
  kind: 'ImageJob',
  plural: 'imagejobs',
  singular: 'imagejob',
  description: 'ImageJob is one run of worker pods across the eligible nodes.',
  properties: { status: STATUS },
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Job phase' },
    { name: 'Desired', type: 'integer', jsonPath: '.status.desired', description: 'Pods wanted' },
    {
      name: 'Succeeded',
      type: 'integer',
      jsonPath: '.status.succeeded',
      description: 'Pods that succeeded',
    },
    { name: 'Failed', type: 'integer', jsonPath: '.status.failed', description: 'Pods failed' },
    {
      name: 'Skipped',
      type: 'integer',
      jsonPath: '.status.skipped',
      description: 'Nodes skipped',
      priority: 1,
    },
    {
      name: 'Delete After',
      type: 'date',
      jsonPath: '.status.deleteAfter',
      description: 'When the finished job may be deleted',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age' },
  ],
};
