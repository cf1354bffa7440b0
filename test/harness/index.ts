/** The real-containerd test bed: see test/harness/README.md. No test-runner imports here. */
export {
  CRI_NAMESPACE,
  DEFAULT_SANDBOX_IMAGE,
  importNames,
  startContainerd,
  type ContainerdOptions,
  type ContainerdSandbox,
} from './containerd.js';
export { mountsUnder, parseMountinfo, sandboxProcesses, type MountEntry } from './cleanup.js';
export { HarnessError } from './errors.js';
export {
  buildImage,
  qualifyReference,
  sha256,
  writeOciArchive,
  writeOciArchiveMany,
  type ArchiveEntry,
  type BuiltImage,
  type Descriptor,
  type ImageSpec,
} from './oci-image.js';
export { pushImage, startRegistry, type PushedImage, type Registry } from './registry.js';
export {
  startTestNode,
  type RegistryImage,
  type RegistryPullOptions,
  type RunContainerOptions,
  type SeededImage,
  type TestNode,
  type TestNodeOptions,
} from './test-node.js';
export {
  runContainerInPod,
  runPod,
  waitForState,
  type ContainerOptions,
  type Pod,
  type PodOptions,
  type StartedContainer,
  type WantedState,
} from './workloads.js';
