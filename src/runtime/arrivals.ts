/**
 * When images arrived on a node. CRI has no such field; containerd stamps each image record
 * (one per name: tags, digests, and the image ID itself for images the CRI plugin manages) with
 * the time it was written. An image arrived when its first record was.
 */

import type { ContainerdImage } from './containerd-client.js';
import type { RuntimeImage } from './types.js';

/** Image ID → earliest creation time of any record naming it; undated images are left out. */
export function arrivalTimes(
  images: readonly RuntimeImage[],
  records: readonly ContainerdImage[],
): Map<string, Date> {
  const created = new Map<string, Date>();
  for (const r of records) if (r.createdAt !== undefined) created.set(r.name, r.createdAt);

  const out = new Map<string, Date>();
  for (const image of images) {
    const dates = [image.id, ...image.repoTags, ...image.repoDigests]
      .map((name) => created.get(name))
      .filter((d): d is Date => d !== undefined);
    if (dates.length > 0) out.set(image.id, new Date(Math.min(...dates.map((d) => d.getTime()))));
  }
  return out;
}
