import type { CrdDefinition } from './crd.js';
import { IMAGE_JOB_CRD } from './imagejob.js';
import { IMAGE_LIST_CRD } from './imagelist.js';

/** Every CRD eraser installs, in the order the manifests are written. */
export const ALL_CRDS: readonly CrdDefinition[] = [IMAGE_LIST_CRD, IMAGE_JOB_CRD];
