/**
 * Finds the image a pod sandbox runs by its root filesystem rather than by name.
 *
 * CRI names a sandbox's image only by the reference it was started from. When that name is later
 * removed, or moved to another image, the name no longer leads to the image the sandbox runs. Its
 * root filesystem still does: containerd makes it as a snapshot whose parent is the chain ID of
 * the image's top layer, and every image's chain ID follows from its config.
 */

import pLimit from 'p-limit';

import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { topChainIdFromConfig } from './image-chain.js';

/** Where containerd keeps a sandbox's root filesystem (verbose PodSandboxStatus). */
export interface SandboxSnapshot {
  readonly snapshotter: string;
  readonly key: string;
}

/** What the tracer asks of the runtime; containerd's snapshots and content services answer. */
export interface TracerSource {
  /** The snapshot's parent, or undefined when there is no such snapshot. */
  snapshotParent(snapshot: SandboxSnapshot): Promise<string | undefined>;
  /** IDs of every image on the node. */
  imageIds(): Promise<readonly string[]>;
  /** The ID of the image a name leads to now, or undefined when none. */
  imageIdByName(name: string): Promise<string | undefined>;
  /** The config blob of an image (its ID is the config digest), or undefined when gone. */
  imageConfig(imageId: string): Promise<Uint8Array | undefined>;
}

const UNREADABLE = Symbol('unreadable');
const CONFIG_READS_IN_FLIGHT = 8;

export class SandboxImageTracer {
  /** Image ID → top chain ID; both are content addresses, so an entry never goes stale. */
  private readonly chains = new Map<string, string | undefined>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly source: TracerSource,
    private readonly log: Logger,
  ) {}

  /**
   * IDs of the images whose layers the sandbox's root filesystem sits on. When the sandbox's
   * image name still leads to an image on those layers, that image is the answer, for one config
   * read. Otherwise every config is read once, and every image on those layers is returned:
   * several can share one layer stack (only their configs differ), and the runtime cannot tell
   * which one the sandbox was started from.
   */
  async imageIdsOf(snapshot: SandboxSnapshot, name?: string): Promise<string[]> {
    const parent = await this.source.snapshotParent(snapshot);
    if (parent === undefined || parent === '') return [];

    const named = name === undefined ? undefined : await this.namedImageOn(name, parent);
    if (named !== undefined) return [named];

    const known = this.owners(parent);
    if (known.length > 0) return known;

    await this.refresh();
    return this.owners(parent);
  }

  private async namedImageOn(name: string, chain: string): Promise<string | undefined> {
    const id = await this.source.imageIdByName(name);
    if (id === undefined) return undefined;
    await this.learn(id);
    return this.chains.get(id) === chain ? id : undefined;
  }

  private async learn(id: string): Promise<void> {
    if (this.chains.has(id)) return;
    const chain = await this.chainOf(id);
    // A failed read is not remembered, so the next pass asks again.
    if (chain !== UNREADABLE) this.chains.set(id, chain);
  }

  private owners(chain: string): string[] {
    return [...this.chains].filter(([, c]) => c === chain).map(([id]) => id);
  }

  /** Learns the chains of images not seen yet; concurrent callers share one pass. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.learnNewImages().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async learnNewImages(): Promise<void> {
    const ids = await this.source.imageIds();
    const limit = pLimit(CONFIG_READS_IN_FLIGHT);
    const fresh = ids.filter((id) => !this.chains.has(id));
    await Promise.all(fresh.map((id) => limit(() => this.learn(id))));
  }

  private async chainOf(imageId: string): Promise<string | undefined | typeof UNREADABLE> {
    try {
      const config = await this.source.imageConfig(imageId);
      return config === undefined ? undefined : topChainIdFromConfig(imageId, config);
    } catch (err: unknown) {
      this.log.warn({ imageId, error: errorMessage(err) }, 'image config unreadable; no chain');
      return UNREADABLE;
    }
  }
}
