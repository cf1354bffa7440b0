import { parseReference } from '../images/reference.js';
import type { RuntimeContainer, RuntimeImage, RuntimeSandbox } from '../runtime/types.js';

/** Who keeps an image alive: a container in any state, or a pod sandbox. */
export interface ImageUser {
  readonly kind: 'container' | 'sandbox';
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

/**
 * Maps image IDs to the containers and sandboxes that use them. A container counts whatever its
 * state: kubelet restarts exited containers from the same image, so removing it breaks them.
 */
export class UsageIndex {
  private readonly users = new Map<string, ImageUser[]>();
  private readonly sandboxImageId: string | undefined;
  /** Sandboxes whose image is found neither by name nor by layers. */
  readonly unresolvedSandboxes: RuntimeSandbox[] = [];

  constructor(
    images: readonly RuntimeImage[],
    containers: readonly RuntimeContainer[],
    sandboxes: readonly RuntimeSandbox[],
    sandboxImage?: string,
  ) {
    const resolve = imageResolver(images);
    this.sandboxImageId = sandboxImage === undefined ? undefined : resolve(sandboxImage);
    for (const c of containers) {
      const user: ImageUser = { kind: 'container', id: c.id, name: c.name, state: c.state };
      this.addAll([c.imageRef, c.image], resolve, user);
    }
    for (const s of sandboxes) {
      const user: ImageUser = { kind: 'sandbox', id: s.id, name: s.name, state: s.state };
      // Both are kept: the name, and the images the sandbox's layers lead to when it was retagged.
      const refs = [s.image, ...(s.imageIds ?? [])];
      if (s.image !== undefined && refs.every((r) => r === undefined || !resolve(r))) {
        this.unresolvedSandboxes.push(s);
      }
      this.addAll(refs, resolve, user);
    }
  }

  /** True for the image the runtime is configured to start pod sandboxes from. */
  isSandboxImage(imageId: string): boolean {
    return imageId === this.sandboxImageId;
  }

  usersOf(imageId: string): readonly ImageUser[] {
    return this.users.get(imageId) ?? [];
  }

  private addAll(
    refs: readonly (string | undefined)[],
    resolve: (ref: string) => string | undefined,
    user: ImageUser,
  ): void {
    const ids = new Set<string>();
    for (const ref of refs) {
      const id = ref ? resolve(ref) : undefined;
      if (id) ids.add(id);
    }
    for (const id of ids) {
      const list = this.users.get(id) ?? [];
      list.push(user);
      this.users.set(id, list);
    }
  }
}

/**
 * Returns a function from any spelling of an image (ID, bare hex, tag, digest, short name) to
 * the image ID it denotes on this node, or undefined when no listed image has that name.
 */
export function imageResolver(
  images: readonly RuntimeImage[],
): (ref: string) => string | undefined {
  const byKey = new Map<string, string>();
  for (const img of images) {
    for (const key of [img.id, ...img.repoTags, ...img.repoDigests]) byKey.set(key, img.id);
  }
  return (ref) => {
    const direct = byKey.get(ref);
    if (direct) return direct;
    for (const key of canonicalKeys(ref)) {
      const id = byKey.get(key);
      if (id) return id;
    }
    return undefined;
  };
}

/** The spellings a runtime would list for a reference: its ID, or its tag and digest forms. */
export function canonicalKeys(ref: string): string[] {
  if (/^[0-9a-f]{64}$/.test(ref)) return [`sha256:${ref}`];
  try {
    const parsed = parseReference(ref);
    if (parsed.kind === 'id') return [parsed.id];
    if (parsed.kind === 'id-prefix') return [];
    const keys: string[] = [];
    if (parsed.digest) keys.push(`${parsed.name}@${parsed.digest}`);
    if (parsed.tag) keys.push(`${parsed.name}:${parsed.tag}`);
    return keys;
  } catch {
    // An unparsable name cannot equal a listed tag after normalisation; the raw lookup already ran.
    return [];
  }
}
