import type {
  ImageRuntime,
  RuntimeContainer,
  RuntimeImage,
  RuntimeSandbox,
  RuntimeVersion,
} from '../../src/runtime/types.js';

/**
 * An in-memory runtime with containerd's removal semantics: removing by any tag, digest or ID
 * drops the whole image, a missing image removes without error, and nothing stops the removal
 * of an image a container uses. Pure node logic is tested against it; everything that touches a
 * node is also tested against a real containerd.
 */
export class MemoryRuntime implements ImageRuntime {
  readonly endpoint = 'memory://test';
  readonly removed: string[] = [];
  images: RuntimeImage[];
  containers: RuntimeContainer[];
  sandboxes: RuntimeSandbox[];
  sandboxImage: string | undefined;
  /** Errors to throw from removeImage, keyed by image ID. */
  readonly failures = new Map<string, Error>();
  /** Image IDs whose removal happens but whose answer is an error, as after a deadline. */
  readonly lateAnswers = new Set<string>();
  /** Set to give the runtime arrival times (containerd has them; a bare CRI does not). */
  imageArrivals?: (images: readonly RuntimeImage[]) => Promise<ReadonlyMap<string, Date>>;
  /** Called before each removal: a test can change the node here, as a race would. */
  beforeRemove: (ref: string) => void = () => undefined;

  constructor(state: {
    images?: RuntimeImage[];
    containers?: RuntimeContainer[];
    sandboxes?: RuntimeSandbox[];
    sandboxImage?: string;
  }) {
    this.sandboxImage = state.sandboxImage;
    this.images = [...(state.images ?? [])];
    this.containers = [...(state.containers ?? [])];
    this.sandboxes = [...(state.sandboxes ?? [])];
  }

  version(): Promise<RuntimeVersion> {
    return Promise.resolve({
      runtimeName: 'memory',
      runtimeVersion: '0',
      runtimeApiVersion: 'v1',
    });
  }

  listImages(): Promise<RuntimeImage[]> {
    return Promise.resolve([...this.images]);
  }

  imageStatus(ref: string): Promise<RuntimeImage | undefined> {
    return Promise.resolve(this.find(ref));
  }

  removeImage(ref: string): Promise<void> {
    this.beforeRemove(ref);
    const image = this.find(ref);
    const failure = image ? this.failures.get(image.id) : undefined;
    if (failure) return Promise.reject(failure);
    if (image) {
      this.images = this.images.filter((i) => i.id !== image.id);
      this.removed.push(image.id);
      if (this.lateAnswers.has(image.id)) return Promise.reject(new Error('deadline exceeded'));
    }
    return Promise.resolve();
  }

  listContainers(): Promise<RuntimeContainer[]> {
    return Promise.resolve([...this.containers]);
  }

  listSandboxes(): Promise<RuntimeSandbox[]> {
    return Promise.resolve([...this.sandboxes]);
  }

  configuredSandboxImage(): Promise<string | undefined> {
    return Promise.resolve(this.sandboxImage);
  }

  close(): void {
    // Nothing to release: the state lives in this object.
  }

  private find(ref: string): RuntimeImage | undefined {
    return this.images.find(
      (i) => i.id === ref || i.repoTags.includes(ref) || i.repoDigests.includes(ref),
    );
  }
}

let counter = 0;

/** Builds a RuntimeImage with a unique ID; fields not given get plain defaults. */
export function image(fields: Partial<RuntimeImage> = {}): RuntimeImage {
  counter += 1;
  const id = `sha256:${counter.toString(16).padStart(64, '0')}`;
  return { id, repoTags: [], repoDigests: [], size: 1000, pinned: false, ...fields };
}

/** Builds a container using the given image ID. */
export function container(imageId: string, fields: Partial<RuntimeContainer> = {}) {
  counter += 1;
  const c: RuntimeContainer = {
    id: `c${counter}`,
    name: `container-${counter}`,
    podSandboxId: 'pod-1',
    image: imageId,
    imageRef: imageId,
    state: 'running',
    ...fields,
  };
  return c;
}
