import type { ManagerContext } from './context.js';
import { LABELS } from './labels.js';

/**
 * Deletes worker pods and job ConfigMaps whose ImageJob no longer exists: left behind when a
 * job was deleted while no manager ran and nothing collected its dependents. The API server's
 * garbage collector normally does this; the sweep makes sure, once per start.
 */
export async function sweepOrphans(ctx: ManagerContext): Promise<number> {
  const { api, cache, namespace, log } = ctx;
  const alive = new Set(cache.jobs.values().map((j) => j.name));
  const pods = cache.pods.values().filter((p) => p.jobName !== undefined && !alive.has(p.jobName));
  const maps = (await api.listConfigMaps(namespace, LABELS.job)).filter(
    (cm) => !alive.has(cm.metadata?.labels?.[LABELS.job] ?? ''),
  );
  await Promise.all([
    ...pods.map((p) => api.deletePod(p.namespace, p.name, p.uid)),
    ...maps.map((cm) => api.deleteConfigMap(namespace, cm.metadata?.name ?? '')),
  ]);
  const removed = pods.length + maps.length;
  if (removed > 0) log.info({ pods: pods.length, configMaps: maps.length }, 'orphans removed');
  return removed;
}
