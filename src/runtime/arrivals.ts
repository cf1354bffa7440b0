/**
 * When images arrived on a node. CRI has no such field; containerd stamps each image record (one
 * per name: tags, digests, and the image ID itself for images the CRI plugin manages) with the
 * time it was created and last updated.
 *
 * The record named by the image ID is created when that image first appears, so its creation
 * time is the arrival. Name records are not: a pull that moves `app:latest` to a new image
 * updates the old record and keeps its creation time, which would date the new image by the old
 * one's pull. Without an ID record, then, an image is dated by the latest update of any record
 * naming it: never older than it is, so `--min-age` errs towards keeping.
 */

import type { ContainerdImage } from './containerd-client.js';
import type { RuntimeImage } from './types.js';

/** Image ID → when it arrived; images with no dated record are left out. */
export function arrivalTimes(
  images: readonly RuntimeImage[],
  records: readonly ContainerdImage[],
): Map<string, Date> {
  const byName = new Map(records.map((r) => [r.name, r]));
  const out = new Map<string, Date>();
  for (const image of images) {
    const arrived = byName.get(image.id)?.createdAt ?? latestUpdate(image, byName);
    if (arrived !== undefined) out.set(image.id, arrived);
  }
  return out;
}

function latestUpdate(
  image: RuntimeImage,
  byName: ReadonlyMap<string, ContainerdImage>,
): Date | undefined {
  let latest: Date | undefined;
  for (const name of [...image.repoTags, ...image.repoDigests]) {
    const record = byName.get(name);
    const at = record?.updatedAt ?? record?.createdAt;
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}
