/** Labels and annotations the manager puts on what it creates, and finds them by. */
export const LABELS = {
  /** On worker pods and job ConfigMaps: the ImageJob they belong to. */
  job: 'eraser.sh/job',
  /** On ImageJobs and worker pods: `manual` or `automated`. */
  type: 'eraser.sh/type',
  /** On manual ImageJobs: the ImageList that asked for them. */
  imageList: 'eraser.sh/imagelist',
  /** On ConfigMaps in the manager's namespace holding exclusion lists (Eraser's label). */
  exclusionList: 'eraser.sh/exclude.list',
  name: 'app.kubernetes.io/name',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const ANNOTATIONS = {
  /** On manual ImageJobs: the ImageList generation the job runs. */
  generation: 'eraser.sh/imagelist-generation',
} as const;

export const MANAGER_NAME = 'eraser-manager';
