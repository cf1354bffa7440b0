/**
 * The inputs of `eraser inventory` turned into a list of images to read: refs on a containerd
 * node, every image of the node, or the images of an OCI layout or docker archive.
 */
import type { Logger } from '../logger.js';
import {
  connectContainerd,
  CRI_NAMESPACE,
  type ContainerdClient,
} from '../runtime/containerd-client.js';
import { connectRuntime, type CriRuntime } from '../runtime/cri-client.js';
import {
  ContainerdImageSource,
  DockerArchiveSource,
  formatPlatform,
  ImageSourceError,
  OciLayoutSource,
  parsePlatform,
  platformRank,
  type Platform,
  type ResolvedImage,
  type SourceEntry,
} from '../scanner/sources/index.js';

/** Where the images were read from, as reports print it. */
export type SourceDescription =
  | { readonly kind: 'containerd'; readonly endpoint: string; readonly namespace: string }
  | { readonly kind: 'oci-layout'; readonly path: string }
  | { readonly kind: 'docker-archive'; readonly path: string };

/** One image to inventory; resolving it may fail, which fails that image only. */
export interface InventoryTarget {
  readonly name: string;
  resolve(): Promise<ResolvedImage>;
}

export interface OpenedSource {
  readonly description: SourceDescription;
  readonly targets: readonly InventoryTarget[];
  close(): void;
}

export interface SourceRequest {
  readonly refs: readonly string[];
  readonly all: boolean;
  readonly platform: Platform;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

export interface ContainerdRequest extends SourceRequest {
  readonly endpoint: string;
  readonly namespace: string;
  readonly timeoutMs: number;
}

/**
 * Connects to containerd's own API. In the CRI namespace the CRI is connected too, so that
 * short IDs resolve; a runtime without a usable CRI just loses that fallback.
 */
export async function openContainerd(request: ContainerdRequest): Promise<OpenedSource> {
  const { endpoint, namespace, timeoutMs, logger } = request;
  const client = await connectContainerd(endpoint, { namespace, timeoutMs, logger });
  const cri =
    namespace === CRI_NAMESPACE ? await optionalCri(endpoint, timeoutMs, logger) : undefined;
  const source = new ContainerdImageSource(client, {
    platform: request.platform,
    signal: request.signal,
    ...(cri === undefined ? {} : { cri }),
  });

  try {
    const targets = request.all
      ? (await source.list()).map((image) => ({
          name: image.name,
          resolve: () => source.resolve(image),
        }))
      : request.refs.map((ref) => ({
          name: ref,
          resolve: async () => source.resolve(await source.find(ref), ref),
        }));
    return {
      description: { kind: 'containerd', endpoint: client.endpoint, namespace },
      targets,
      close: () => {
        closeBoth(client, cri);
      },
    };
  } catch (err: unknown) {
    closeBoth(client, cri);
    throw err;
  }
}

async function optionalCri(
  endpoint: string,
  timeoutMs: number,
  logger: Logger,
): Promise<CriRuntime | undefined> {
  try {
    return await connectRuntime(endpoint, { timeoutMs, logger });
  } catch (err: unknown) {
    logger.warn({ err }, 'CRI not usable; short image IDs will not resolve');
    return undefined;
  }
}

function closeBoth(client: ContainerdClient, cri: CriRuntime | undefined): void {
  client.close();
  cri?.close();
}

interface FileSource {
  readonly entries: readonly SourceEntry[];
  find(ref?: string): SourceEntry;
  resolve(entry: SourceEntry, name?: string): Promise<ResolvedImage>;
}

/**
 * Targets of a layout or archive: the named refs, every image with --all, or else its only
 * image (several without a name is refused: which one was meant is not ours to guess).
 */
function fileTargets(source: FileSource, request: SourceRequest): InventoryTarget[] {
  if (request.all) {
    return source.entries.map((entry) => ({
      name: entry.name,
      resolve: () => source.resolve(entry),
    }));
  }
  if (request.refs.length === 0) {
    const only = source.find();
    return [{ name: only.name, resolve: () => source.resolve(only) }];
  }
  return request.refs.map((ref) => ({
    name: ref,
    resolve: () => Promise.resolve().then(() => source.resolve(source.find(ref), ref)),
  }));
}

/**
 * With --platform, an image whose config names a platform that cannot serve the one asked for
 * fails: a single-manifest image has no other platform to offer, and reading it anyway would
 * report packages of a platform the user did not ask about.
 */
export function requirePlatform(source: OpenedSource, want: Platform): OpenedSource {
  const targets = source.targets.map((target) => ({
    name: target.name,
    resolve: async () => checkPlatform(await target.resolve(), want),
  }));
  return { ...source, targets };
}

function checkPlatform(image: ResolvedImage, want: Platform): ResolvedImage {
  if (image.platform === undefined || suits(want, image.platform)) return image;
  const wanted = formatPlatform(want);
  const message =
    `image ${image.name} is for ${image.platform} (its config says so), ` +
    `not ${wanted} as --platform asks; it offers no other platform`;
  throw new ImageSourceError('SOURCE_NO_PLATFORM', message, {
    image: image.name,
    platform: wanted,
    offered: [image.platform],
  });
}

function suits(want: Platform, have: string): boolean {
  try {
    return platformRank(want, parsePlatform(have)) !== undefined;
  } catch {
    return false;
  }
}

export async function openOciLayout(dir: string, request: SourceRequest): Promise<OpenedSource> {
  const layout = await OciLayoutSource.open(dir, { platform: request.platform });
  const targets = fileTargets(layout, request);
  return { description: { kind: 'oci-layout', path: dir }, targets, close: () => undefined };
}

export async function openDockerArchive(
  file: string,
  request: SourceRequest,
): Promise<OpenedSource> {
  const archive = await DockerArchiveSource.open(file);
  const targets = fileTargets(archive, request);
  return { description: { kind: 'docker-archive', path: file }, targets, close: () => undefined };
}
