import type { Logger } from '../logger.js';
import { IMAGE_JOBS, IMAGE_LISTS, type KubeApi } from './kube/api.js';
import {
  toConfigMap,
  toImageList,
  toJob,
  toNode,
  toPod,
  type ConfigMapInfo,
  type ImageListInfo,
  type JobInfo,
  type NodeInfo,
  type PodInfo,
} from './kube/objects.js';
import { Reflector } from './kube/reflector.js';
import { LABELS } from './labels.js';

/** A job still doing (or about to do) work: not finished, not being deleted. */
export function isActive(job: JobInfo): boolean {
  return !job.deleting && job.status.phase !== 'Completed' && job.status.phase !== 'Failed';
}

/**
 * The manager's view of the cluster: one reflector per kind it watches, plus an index of
 * worker pods by job and node, so a job's progress is a lookup rather than a scan of all pods.
 */
export class ClusterCache {
  readonly nodes: Reflector<NodeInfo>;
  readonly pods: Reflector<PodInfo>;
  readonly jobs: Reflector<JobInfo>;
  readonly lists: Reflector<ImageListInfo>;
  readonly exclusions: Reflector<ConfigMapInfo>;
  private readonly podIndex = new Map<string, Map<string, PodInfo>>();

  constructor(api: KubeApi, namespace: string, log: Logger) {
    const deps = { watch: api.watch, log };
    const byName = (o: { name: string }): string => o.name;
    this.nodes = new Reflector(api.nodeSource(), toNode, byName, deps);
    this.pods = new Reflector(
      api.podSource(namespace, LABELS.job),
      (raw) => toPod(raw, LABELS.job),
      byName,
      deps,
    );
    this.jobs = new Reflector(api.customSource(IMAGE_JOBS), toJob, byName, deps);
    this.lists = new Reflector(api.customSource(IMAGE_LISTS), toImageList, byName, deps);
    this.exclusions = new Reflector(
      api.configMapSource(namespace, `${LABELS.exclusionList}=true`),
      toConfigMap,
      byName,
      deps,
    );
    this.pods.onChange((type, pod, old) => {
      this.index(type, pod, old);
    });
  }

  private all(): Reflector<unknown>[] {
    return [this.nodes, this.pods, this.jobs, this.lists, this.exclusions] as Reflector<unknown>[];
  }

  /** Lists everything; resolves once every cache holds a full copy. */
  async start(): Promise<void> {
    await Promise.all(this.all().map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((r) => r.stop()));
  }

  get synced(): boolean {
    return this.all().every((r) => r.synced);
  }

  /** The job's worker pods by node name. */
  podsOf(job: string): ReadonlyMap<string, PodInfo> {
    return this.podIndex.get(job) ?? new Map<string, PodInfo>();
  }

  activeJobs(): JobInfo[] {
    return this.jobs.values().filter(isActive);
  }

  private index(type: string, pod: PodInfo, old: PodInfo | undefined): void {
    if (old !== undefined) this.unindex(old);
    if (type === 'deleted' || pod.jobName === undefined || pod.nodeName === undefined) return;
    let byNode = this.podIndex.get(pod.jobName);
    if (byNode === undefined) {
      byNode = new Map();
      this.podIndex.set(pod.jobName, byNode);
    }
    byNode.set(pod.nodeName, pod);
  }

  private unindex(pod: PodInfo): void {
    if (pod.jobName === undefined || pod.nodeName === undefined) return;
    const byNode = this.podIndex.get(pod.jobName);
    byNode?.delete(pod.nodeName);
    if (byNode?.size === 0) this.podIndex.delete(pod.jobName);
  }
}
