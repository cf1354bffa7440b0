/**
 * Request shapes for the CRI calls that create and manage workloads. Only the test bed and tools
 * use them (the cleanup pipeline never starts containers); they mirror the proto subset in
 * cri.proto, camelCased, with enums as their proto names.
 */
import type { ContainerState } from './types.js';
import type { SandboxSnapshot } from './sandbox-tracer.js';

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOption {
  readonly network?: NamespaceMode;
  readonly pid?: NamespaceMode;
  readonly ipc?: NamespaceMode;
}

export interface PodSandboxConfig {
  readonly metadata: {
    readonly name: string;
    readonly uid: string;
    readonly namespace: string;
    readonly attempt?: number;
  };
  readonly hostname?: string;
  readonly logDirectory?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly linux?: {
    readonly cgroupParent?: string;
    readonly securityContext?: {
      readonly namespaceOptions?: NamespaceOption;
      readonly privileged?: boolean;
      readonly readonlyRootfs?: boolean;
    };
  };
}

export interface ContainerConfig {
  readonly metadata: { readonly name: string; readonly attempt?: number };
  readonly image: { readonly image: string };
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly envs?: readonly { readonly key: string; readonly value: string }[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly logPath?: string;
  readonly linux?: {
    readonly securityContext?: {
      readonly namespaceOptions?: NamespaceOption;
      readonly privileged?: boolean;
      readonly readonlyRootfs?: boolean;
    };
  };
}

/** ContainerStatus, reduced to what tests and tools look at. */
export interface ContainerStatusInfo {
  readonly id: string;
  readonly name: string;
  readonly state: ContainerState;
  /** Nanoseconds since the epoch; 0 when not started / not finished. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly exitCode: number;
  readonly image: string;
  readonly imageRef: string;
  readonly reason: string;
  readonly message: string;
}

export interface RuntimeCondition {
  readonly type: string;
  readonly status: boolean;
  readonly reason: string;
  readonly message: string;
}

/** Status: runtime conditions, plus the runtime's free-form `info` map when asked verbosely. */
export interface RuntimeStatusInfo {
  readonly conditions: readonly RuntimeCondition[];
  readonly info: Readonly<Record<string, string>>;
}

export interface PodSandboxStatusInfo {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly state: 'ready' | 'notready';
  /** The sandbox (pause) image, when the runtime tells (containerd does, verbosely). */
  readonly image?: string;
  /** Where its root filesystem is kept (containerd, verbosely). */
  readonly snapshot?: SandboxSnapshot;
  readonly info: Readonly<Record<string, string>>;
}

export interface ImageFsUsage {
  readonly mountpoint: string;
  readonly usedBytes: number;
  readonly inodesUsed: number;
}

/** Per-call options: every call has a deadline, this overrides the client's default. */
export interface CallOptions {
  readonly timeoutMs?: number;
}
