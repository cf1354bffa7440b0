/**
 * A Kubernetes API emulator for end-to-end tests: a real HTTP server on 127.0.0.1 speaking the
 * apiserver's JSON wire protocol to the real `@kubernetes/client-node`. See README.md for what
 * it implements and what it leaves out.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';

import { silentLogger, type Logger } from '../../src/logger.js';
import { trackCrds } from './crds.js';
import { Faults } from './faults.js';
import { BackgroundControllers } from './gc.js';
import type { HandlerContext } from './handlers.js';
import { prepareCreate } from './objects.js';
import { RequestLog } from './request-log.js';
import { ResourceRegistry } from './resources.js';
import { serve, type ServerParts } from './server.js';
import { ObjectStore } from './store.js';
import { WatchHub } from './watch.js';

export { ApiError } from './errors.js';
export type { FaultSpec } from './faults.js';
export type { LoggedRequest } from './request-log.js';
export { resourceKey } from './resources.js';
export { ObjectStore, UnknownResourceError } from './store.js';
export type { KubeObject, ObjectMeta, OwnerReference, StoreEvent, Verb } from './types.js';
export type { Faults, RequestLog };

export interface EmulatorOptions {
  /** Changes kept for watch resumption; older resourceVersions get 410 Gone. Default 1000. */
  historySize?: number;
  /** How often watches with allowWatchBookmarks get a BOOKMARK. Default 60 s, as upstream. */
  bookmarkIntervalMs?: number;
  /** Namespaces to create besides default, kube-system, kube-public and kube-node-lease. */
  namespaces?: string[];
  /** The namespace the kubeconfig's context names. Default "default". */
  contextNamespace?: string;
  /** Clock for timestamps. */
  now?: () => Date;
  logger?: Logger;
  /** Largest request body accepted. Default 3 MiB, the apiserver's limit. */
  maxBodyBytes?: number;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** A fresh client-node KubeConfig whose current context points at the emulator. */
  kubeConfig(): KubeConfig;
  /** Closes watches and connections and stops background work. */
  stop(): Promise<void>;
  /** Direct object access for simulators and assertions (no admission, same events). */
  store: ObjectStore;
  faults: Faults;
  requestLog: RequestLog;
  /** Resolves when the garbage and namespace controllers have nothing left to do. */
  settled(): Promise<void>;
  /** Number of watch streams currently open. */
  openWatches(): number;
  /** Resolves once exactly `count` watch streams are open. */
  watchesOpen(count: number): Promise<void>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function seedNamespaces(store: ObjectStore, registry: ResourceRegistry, names: string[]): void {
  const rt = registry.byKey('namespaces');
  if (rt === undefined) return;
  for (const name of new Set([...SYSTEM_NAMESPACES, ...names])) {
    store.create('namespaces', prepareCreate(rt, { metadata: { name } }));
  }
}

function makeKubeConfig(url: string, namespace: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'emulator', server: url, skipTLSVerify: true }],
    users: [{ name: 'emulator' }],
    contexts: [{ name: 'emulator', cluster: 'emulator', user: 'emulator', namespace }],
    currentContext: 'emulator',
  });
  return kc;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

/** Starts an emulator on 127.0.0.1 with an ephemeral port. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const log = (opts.logger ?? silentLogger()).child({ component: 'kube-emulator' });
  const now = opts.now ?? (() => new Date());
  const registry = new ResourceRegistry();
  const store = new ObjectStore(registry, {
    historySize: opts.historySize ?? 1000,
    now,
    onListenerError: (err) => {
      log.error({ err }, 'store change listener failed');
    },
  });
  trackCrds(store, registry);
  const hub = new WatchHub(store, opts.bookmarkIntervalMs ?? 60_000);
  const controllers = new BackgroundControllers(store, registry, log);
  seedNamespaces(store, registry, opts.namespaces ?? []);

  const ctx: HandlerContext = {
    store,
    registry,
    now,
    onResourceRemoved: (k) => {
      hub.dropResource(k);
    },
  };
  const faults = new Faults(() => hub.dropAll());
  const requestLog = new RequestLog();
  let url = '';
  const parts: ServerParts = {
    ctx,
    hub,
    faults,
    requestLog,
    log,
    maxBodyBytes: opts.maxBodyBytes ?? 3 * 1024 * 1024,
    serverAddress: () => url.replace(/^http:\/\//, ''),
  };
  const server = createServer((req, res) => void serve(parts, req, res));
  url = await listen(server);
  log.info({ url }, 'kube emulator listening');

  return {
    url,
    kubeConfig: () => makeKubeConfig(url, opts.contextNamespace ?? 'default'),
    stop: async () => {
      hub.stop();
      controllers.stop();
      await close(server);
    },
    store,
    faults,
    requestLog,
    settled: () => controllers.idle(),
    openWatches: () => hub.openCount(),
    watchesOpen: (count) => hub.whenOpen(count),
  };
}
