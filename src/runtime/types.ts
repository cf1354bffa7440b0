/**
 * The one narrow interface between eraser and a container runtime. The real implementation speaks
 * CRI runtime.v1 over a unix socket; node-side logic is written against this interface only, so it
 * can be tested on small in-memory tables as well as on a real containerd.
 */

/** An image as the runtime reports it: one entry per image ID, with every tag and digest. */
export interface RuntimeImage {
  /** Image ID, `sha256:<64 hex>` (the config digest). */
  readonly id: string;
  /** Fully qualified tags, e.g. `docker.io/library/alpine:3.20`. */
  readonly repoTags: readonly string[];
  /** Repository digests, e.g. `docker.io/library/alpine@sha256:…`. */
  readonly repoDigests: readonly string[];
  /** Size in bytes as the runtime reports it (compressed content for containerd). */
  readonly size: number;
  /** Pinned images (the sandbox image, for one) are never removed. */
  readonly pinned: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** A container in any state. Both image fields are kept: either may identify the image. */
export interface RuntimeContainer {
  readonly id: string;
  readonly name: string;
  readonly podSandboxId: string;
  /** The image as written in the container spec (a reference or an ID). */
  readonly image: string;
  /** The image ID the runtime resolved it to, `sha256:…`, when known. */
  readonly imageRef: string;
  readonly state: ContainerState;
}

export type SandboxState = 'ready' | 'notready';

export interface RuntimeSandbox {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly state: SandboxState;
  /** The image the sandbox runs (the pause image), by the name it was started from. */
  readonly image?: string;
  /**
   * IDs of the images the sandbox's root filesystem is built from, found by layers (containerd),
   * so the image stays known when its name is removed or moved to another image.
   */
  readonly imageIds?: readonly string[];
}

export interface RuntimeVersion {
  readonly runtimeName: string;
  readonly runtimeVersion: string;
  readonly runtimeApiVersion: string;
}

/** What the node pipeline needs from a runtime. Every call has a deadline. */
export interface ImageRuntime {
  /** The endpoint this client talks to, for logs and errors. */
  readonly endpoint: string;
  version(): Promise<RuntimeVersion>;
  listImages(): Promise<RuntimeImage[]>;
  /** Undefined when the runtime does not have the image. */
  imageStatus(ref: string): Promise<RuntimeImage | undefined>;
  /** Removes the image ID and, with it, every tag of that image. */
  removeImage(ref: string): Promise<void>;
  listContainers(): Promise<RuntimeContainer[]>;
  listSandboxes(): Promise<RuntimeSandbox[]>;
  /**
   * The image the runtime starts pod sandboxes from (the pause image), when its config says.
   * containerd 1.6 does not mark it pinned, so it is protected by name as well.
   */
  configuredSandboxImage(): Promise<string | undefined>;
  /**
   * When each of `images` (as listImages gave them) arrived on the node, pulled or imported, by
   * image ID; images the runtime has no date for are left out. Absent on runtimes that cannot
   * tell (CRI has no such field).
   */
  imageArrivals?(images: readonly RuntimeImage[]): Promise<ReadonlyMap<string, Date>>;
  close(): void;
}
