/**
 * One call to get a node to test against: a private containerd, a connected CRI client, and
 * helpers to seed images, run containers and pull from a local registry.
 */
import { randomBytes } from 'node:crypto';

import type { CriRuntime } from '../../src/runtime/cri-client.js';
import {
  importNames,
  startContainerd,
  type ContainerdOptions,
  type ContainerdSandbox,
} from './containerd.js';
import { buildImage, type BuiltImage, type ImageSpec } from './oci-image.js';
import { pushImage, startRegistry, type PushedImage, type Registry } from './registry.js';
import {
  runContainerInPod,
  runPod,
  type ContainerOptions,
  type Pod,
  type PodOptions,
  type StartedContainer,
} from './workloads.js';

export interface SeededImage extends BuiltImage {
  /** A reference CRI resolves to this image: the first tag, else the digest name it got. */
  readonly reference: string;
}

export interface RegistryImage extends SeededImage {
  readonly pushed: PushedImage;
  /** What PullImage returned (containerd: the image ID). */
  readonly imageRef: string;
}

export interface RunContainerOptions extends ContainerOptions {
  /** Pod to run in; default: one shared pod created on first use. */
  readonly pod?: Pod;
}

export interface TestNode {
  readonly containerd: ContainerdSandbox;
  /** Connected CRI client (also an ImageRuntime). */
  readonly runtime: CriRuntime;
  readonly endpoint: string;
  /** Pause image reference configured as sandbox_image. */
  readonly sandboxImage: string;
  /** Builds an image and imports it: tagged, or by digest (`registry.eraser.test/untagged@…`). */
  seedImage(spec?: ImageSpec): Promise<SeededImage>;
  /** Pushes an image to the local registry and pulls it through CRI, by digest by default. */
  seedImageViaRegistry(spec?: ImageSpec, opts?: RegistryPullOptions): Promise<RegistryImage>;
  /** CRI PullImage with a generous deadline; returns the image ref. */
  pull(ref: string): Promise<string>;
  runPod(opts?: PodOptions): Promise<Pod>;
  /** Runs a container of `image` (a tag, digest reference or ID) in the wanted state. */
  runContainer(image: string, opts?: RunContainerOptions): Promise<StartedContainer>;
  /** The local registry, started on first use. */
  registry(): Promise<Registry>;
  stop(): Promise<void>;
}

export interface RegistryPullOptions {
  readonly repo?: string;
  readonly tag?: string;
  /** Pull `host/repo@sha256:…` (default) or `host/repo:tag`. */
  readonly byDigest?: boolean;
}

export interface TestNodeOptions extends ContainerdOptions {
  /** Default deadline of CRI calls made through `runtime` (default 10 s). */
  readonly timeoutMs?: number;
}

/** Starts containerd, connects a CRI client and returns the helpers; `stop()` undoes it all. */
export async function startTestNode(opts: TestNodeOptions = {}): Promise<TestNode> {
  const containerd = await startContainerd(opts);
  let runtime: CriRuntime;
  try {
    runtime = await containerd.connect(opts.timeoutMs === undefined ? {} : opts);
  } catch (err: unknown) {
    await containerd.stop();
    throw err;
  }
  return createTestNode(containerd, runtime);
}

function createTestNode(containerd: ContainerdSandbox, runtime: CriRuntime): TestNode {
  let registry: Promise<Registry> | undefined;
  let sharedPod: Promise<Pod> | undefined;

  const getRegistry = (): Promise<Registry> => {
    registry ??= startRegistry().then(async (started) => {
      await containerd.allowInsecureRegistry(started.host);
      return started;
    });
    return registry;
  };
  const newPod = (podOpts: PodOptions = {}): Promise<Pod> =>
    runPod(runtime, { cgroupParent: containerd.cgroupParent, ...podOpts });
  const pull = (ref: string): Promise<string> => runtime.pullImage(ref, { timeoutMs: 120_000 });

  return {
    containerd,
    runtime,
    endpoint: containerd.endpoint,
    sandboxImage: containerd.sandboxImage,
    async seedImage(spec = {}) {
      const image = await buildImage(spec);
      await containerd.importImage(image);
      return { ...image, reference: importNames(image)[0] ?? image.id };
    },
    async seedImageViaRegistry(spec = {}, pullOpts = {}) {
      const image = await buildImage(spec);
      const repo = pullOpts.repo ?? `seed/img-${randomBytes(4).toString('hex')}`;
      const pushed = await pushImage(await getRegistry(), image, repo, pullOpts.tag);
      const reference = pullOpts.byDigest === false ? pushed.reference : pushed.digestReference;
      const imageRef = await pull(reference);
      return { ...image, reference, pushed, imageRef };
    },
    pull,
    runPod: newPod,
    runContainer(image, runOpts = {}) {
      sharedPod ??= newPod({ name: 'shared' });
      const pod = runOpts.pod ?? sharedPod;
      return Promise.resolve(pod).then((p) => runContainerInPod(runtime, p, image, runOpts));
    },
    registry: getRegistry,
    async stop() {
      runtime.close();
      const started = registry === undefined ? undefined : await registry.catch(() => undefined);
      await started?.stop();
      await containerd.stop();
    },
  };
}
