/**
 * The CRI client's use of containerd's own API for tracing pod sandboxes to their images by
 * layers (see sandbox-tracer.ts). The containerd client is made on first use, so a node without
 * sandboxes never loads it, and a runtime without that API is asked once, then left alone.
 */

import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ContainerdClient } from './containerd-client.js';
import { RuntimeCallError } from './errors.js';
import { SandboxImageTracer, type SandboxSnapshot } from './sandbox-tracer.js';
import type { RuntimeImage } from './types.js';

/** The CRI calls the tracer needs. */
export interface ImageLookup {
  listImages(): Promise<RuntimeImage[]>;
  imageStatus(ref: string): Promise<RuntimeImage | undefined>;
}

/** Image configs are a few KiB; anything this large is not one. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export class SandboxLayers {
  private tracer: SandboxImageTracer | undefined;
  private unsupported = false;

  constructor(
    private readonly endpoint: string,
    /** containerd's client on the same socket, made when first asked for. */
    private readonly containerd: () => ContainerdClient,
    private readonly log: Logger,
    private readonly images: ImageLookup,
  ) {}

  /**
   * IDs of the images under the sandbox's root filesystem: empty when none or when the runtime
   * cannot tell, undefined when this attempt failed and a later one may work.
   */
  async imageIdsOf(
    sandboxId: string,
    snapshot: SandboxSnapshot,
    name: string | undefined,
  ): Promise<string[] | undefined> {
    if (this.unsupported) return [];
    try {
      return await this.getTracer().imageIdsOf(snapshot, name);
    } catch (err: unknown) {
      if (err instanceof RuntimeCallError && err.grpcStatus === 'UNIMPLEMENTED') {
        this.unsupported = true;
        this.log.warn(
          { endpoint: this.endpoint, error: errorMessage(err) },
          'runtime has no containerd snapshots API; sandbox images are known by name only',
        );
        return [];
      }
      const fields = { sandbox: sandboxId, error: errorMessage(err) };
      this.log.warn(fields, 'sandbox image trace failed; known by name only this time');
      return undefined;
    }
  }

  private getTracer(): SandboxImageTracer {
    if (this.tracer !== undefined) return this.tracer;
    const client = this.containerd();
    this.tracer = new SandboxImageTracer(
      {
        snapshotParent: (s) => client.snapshotParent(s.snapshotter, s.key),
        imageIds: async () => (await this.images.listImages()).map((image) => image.id),
        imageIdByName: async (name) => (await this.images.imageStatus(name))?.id,
        imageConfig: (imageId) => client.readSmallBlob(imageId, MAX_CONFIG_BYTES),
      },
      this.log,
    );
    return this.tracer;
  }
}
