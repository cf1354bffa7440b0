import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ObjectStore } from '../kube-emulator/index.js';
import { isRecord } from '../kube-emulator/types.js';

type Rec = Record<string, unknown>;

/** Container path → host path, as the simulated kubelet lays volumes out. */
export type PathMap = readonly (readonly [string, string])[];

export type MountResult =
  | { readonly ok: true; readonly paths: PathMap }
  /** Not yet possible (a ConfigMap is missing): the kubelet keeps retrying, so do we. */
  | { readonly ok: false; readonly retry: true; readonly reason: string }
  | { readonly ok: false; readonly retry: false; readonly reason: string };

export interface MountContext {
  readonly store: ObjectStore;
  readonly namespace: string;
  /** Folder for this pod's volumes. */
  readonly dir: string;
  /** The node's own runtime socket: every socket hostPath maps here, and nothing else. */
  readonly socketPath: string;
}

function records(value: unknown): Rec[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

async function writeConfigMap(
  ctx: MountContext,
  source: Rec,
  into: string,
): Promise<string | undefined> {
  const name = str(source['name']) ?? '';
  const cm = ctx.store.get('configmaps', ctx.namespace, name);
  if (cm === undefined)
    return source['optional'] === true ? undefined : `configmap "${name}" not found`;
  const data = isRecord(cm['data']) ? cm['data'] : {};
  const items = records(source['items']);
  const wanted =
    items.length > 0
      ? items.map((i) => [str(i['key']) ?? '', str(i['path']) ?? str(i['key']) ?? ''] as const)
      : Object.keys(data).map((k) => [k, k] as const);
  await mkdir(into, { recursive: true });
  for (const [key, path] of wanted) {
    const value = data[key];
    if (typeof value !== 'string') return `configmap "${name}" has no key "${key}"`;
    await writeFile(join(into, path), value);
  }
  return undefined;
}

/** Lays out one volume; returns its host path, or why it cannot be mounted. */
async function mountVolume(
  ctx: MountContext,
  volume: Rec,
): Promise<string | { retry: boolean; reason: string }> {
  const name = str(volume['name']) ?? '';
  const dir = join(ctx.dir, 'volumes', name);
  const hostPath = volume['hostPath'];
  if (isRecord(hostPath)) {
    const path = str(hostPath['path']) ?? '';
    // Only the runtime socket is ever mapped, and always to this node's own sandbox socket.
    if (hostPath['type'] === 'Socket' || path.endsWith('.sock')) return ctx.socketPath;
    return { retry: false, reason: `hostPath ${path} is not simulated` };
  }
  if (isRecord(volume['emptyDir'])) {
    await mkdir(dir, { recursive: true });
    return dir;
  }
  const sources = isRecord(volume['configMap'])
    ? [volume['configMap']]
    : records(isRecord(volume['projected']) ? volume['projected']['sources'] : undefined)
        .map((s) => s['configMap'])
        .filter(isRecord);
  if (sources.length === 0)
    return { retry: false, reason: `volume ${name} has an unsimulated type` };
  for (const source of sources) {
    const problem = await writeConfigMap(ctx, source, dir);
    if (problem !== undefined) return { retry: true, reason: problem };
  }
  return dir;
}

/** Lays out the volumes a container mounts and returns where each mount path lives. */
export async function prepareMounts(
  ctx: MountContext,
  pod: Rec,
  container: Rec,
): Promise<MountResult> {
  const spec = isRecord(pod['spec']) ? pod['spec'] : {};
  const volumes = new Map(records(spec['volumes']).map((v) => [str(v['name']) ?? '', v]));
  const paths: [string, string][] = [];
  for (const mount of records(container['volumeMounts'])) {
    const volume = volumes.get(str(mount['name']) ?? '');
    if (volume === undefined)
      return { ok: false, retry: false, reason: 'mount of a missing volume' };
    const host = await mountVolume(ctx, volume);
    if (typeof host !== 'string') return { ok: false, ...host };
    const sub = str(mount['subPath']);
    paths.push([str(mount['mountPath']) ?? '', sub === undefined ? host : join(host, sub)]);
  }
  paths.sort((a, b) => b[0].length - a[0].length);
  return { ok: true, paths };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites container paths inside an argument or env value to their host paths, in one pass
 * (a host path that happens to contain a container path, like /tmp/…, is not rewritten again).
 */
export function translate(text: string, paths: PathMap): string {
  const usable = paths.filter(([from]) => from !== '' && from !== '/');
  if (usable.length === 0) return text;
  const lookup = new Map(usable);
  const alternation = usable.map(([from]) => escape(from)).join('|');
  const pattern = new RegExp(`(?<=^|[=\\s,;'"]|unix://)(${alternation})(?=$|[/\\s,;:"'])`, 'g');
  return text.replace(pattern, (match) => lookup.get(match) ?? match);
}
