import { errorMessage } from '../errors.js';
import { parseExclusionJson } from '../images/exclusions.js';
import type { ConfigMapInfo } from './kube/objects.js';

/** One exclusion document copied into a job's ConfigMap. */
export interface ExclusionFile {
  /** The key in the job's ConfigMap. */
  readonly key: string;
  /** The file name in the worker's exclusion folder. */
  readonly path: string;
  readonly content: string;
  /** `namespace/configmap/key`, for logs and messages. */
  readonly source: string;
}

export type ExclusionSnapshot =
  | { readonly ok: true; readonly files: readonly ExclusionFile[]; readonly entries: number }
  | {
      readonly ok: false;
      /** The document at fault; absent when the lists are only too large together. */
      readonly source?: string;
      /** For the user, naming the document or the sizes. */
      readonly message: string;
    };

/** Keeps the job ConfigMap well below the 1 MiB object limit, with room for the plan. */
export const MAX_EXCLUSION_BYTES = 512 * 1024;

function fileName(index: number, cm: string, key: string): string {
  const safe = `${cm}.${key}`.replace(/[^-._a-zA-Z0-9]/g, '_');
  return `${index}.${safe}`.slice(0, 200);
}

function sorted(configMaps: readonly ConfigMapInfo[]): ConfigMapInfo[] {
  return [...configMaps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Copies every exclusion ConfigMap (label eraser.sh/exclude.list=true) into files for a job.
 * Any data key works, whatever its name. Every document is parsed first: one that is not
 * `{"excluded": [...]}` stops the job before any pod starts, because running without an
 * exclusion the user wrote could remove an image they meant to keep.
 */
export function snapshotExclusions(configMaps: readonly ConfigMapInfo[]): ExclusionSnapshot {
  const files: ExclusionFile[] = [];
  let entries = 0;
  let bytes = 0;
  for (const cm of sorted(configMaps)) {
    for (const key of Object.keys(cm.data).sort()) {
      const content = cm.data[key] ?? '';
      const source = `${cm.namespace}/${cm.name}/${key}`;
      try {
        entries += parseExclusionJson(content, source).rules.length;
      } catch (err: unknown) {
        return { ok: false, source, message: `exclusion list ${source}: ${errorMessage(err)}` };
      }
      bytes += Buffer.byteLength(content);
      const index = files.length;
      files.push({ key: `exclude-${index}`, path: fileName(index, cm.name, key), content, source });
    }
  }
  if (bytes > MAX_EXCLUSION_BYTES) {
    const message = `exclusion lists total ${bytes} bytes; at most ${MAX_EXCLUSION_BYTES} fit`;
    return { ok: false, message };
  }
  return { ok: true, files, entries };
}
