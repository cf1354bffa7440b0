import { arr, dateTime, int, obj, str, type JSONSchemaProps } from './schema.js';

/** The standard Kubernetes condition (metav1.Condition), so users and tools read it as usual. */
export interface Condition {
  /** CamelCase kind of the condition, e.g. `Complete`. Unique within the list. */
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /** The `metadata.generation` the condition was computed from. */
  observedGeneration?: number;
  /** When `status` last changed (RFC 3339). */
  lastTransitionTime: string;
  /** CamelCase reason for the last transition, for programs. */
  reason: string;
  /** What happened, for people. May be empty. */
  message: string;
}

/** Condition types the controller sets on an ImageList. */
export const IMAGE_LIST_CONDITIONS = {
  /** True once the last run finished (successfully or not); False while one runs. */
  complete: 'Complete',
  /** True when enough nodes succeeded for the run to count as a success. */
  succeeded: 'Succeeded',
} as const;

const CONDITION: JSONSchemaProps = obj(
  'One aspect of the observed state, in the metav1.Condition shape.',
  {
    type: str('CamelCase kind of the condition.', { maxLength: 316, minLength: 1 }),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    observedGeneration: int('The metadata.generation this condition was computed from.', {
      format: 'int64',
      minimum: 0,
    }),
    lastTransitionTime: dateTime('When status last changed.'),
    reason: str('CamelCase reason for the last transition.', {
      maxLength: 1024,
      minLength: 1,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: str('What happened, for people.', { maxLength: 32768 }),
  },
  ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
);

/** A conditions list keyed by `type`, so server-side apply merges entries one by one. */
export const CONDITIONS_SCHEMA: JSONSchemaProps = arr(
  'What happened, newest state per type.',
  CONDITION,
  {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
);
