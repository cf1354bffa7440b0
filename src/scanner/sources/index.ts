/**
 * Where images come from for an inventory: containerd's content store (through its own gRPC
 * API), an OCI image layout folder, or a `docker save` tarball. Each resolves an image to a
 * ResolvedImage (an ImageSource for buildInventory) whose every byte is digest-checked.
 */
export {
  ContainerdBlobStore,
  ContainerdImageSource,
  containerdNames,
  type ContainerdSourceOptions,
  type NodeImage,
} from './containerd.js';
export { DockerArchiveSource } from './docker-archive.js';
export { ImageSourceError, type SourceErrorCode } from './errors.js';
export { OciLayoutSource, type ImageSourceOptions, type SourceEntry } from './oci-layout.js';
export {
  bestPlatformIndex,
  formatPlatform,
  nodePlatform,
  normalizePlatform,
  parsePlatform,
  platformRank,
} from './platform.js';
export { resolveImage, type ResolveOptions } from './resolve.js';
export {
  DEFAULT_SOURCE_LIMITS,
  resolveSourceLimits,
  type BlobStore,
  type Descriptor,
  type Platform,
  type ResolvedImage,
  type SizedLayerSource,
  type SourceKind,
  type SourceLimits,
} from './types.js';
