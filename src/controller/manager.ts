import type { Server } from 'node:http';

import {
  defaultEraserConfig,
  watchConfig,
  type ConfigWatcher,
  type EraserConfig,
} from '../api/config.js';
import { createLogger, type Logger } from '../logger.js';
import { ClusterCache } from './cluster.js';
import type { ManagerContext } from './context.js';
import { EventRecorder } from './events.js';
import { closeServer, parseListenAddress, serveHttp, type Probes } from './http.js';
import { ImageListController } from './imagelist-controller.js';
import { JobController } from './job-controller.js';
import { KubeApi } from './kube/api.js';
import { JobLauncher } from './launcher.js';
import { LeaderElector } from './leader.js';
import { ManagerMetrics } from './metrics.js';
import { resolveOptions, type ManagerOptions, type ResolvedOptions } from './options.js';
import { sweepOrphans } from './orphans.js';
import { Scheduler } from './scheduler.js';
import { WorkQueue } from './workqueue.js';

/** A running manager. */
export interface ManagerHandle {
  /** `http://host:port` of the probe server, when one was asked for. */
  readonly healthUrl?: string;
  /** `http://host:port` of the metrics server (may equal healthUrl). */
  readonly metricsUrl?: string;
  readonly metrics: ManagerMetrics;
  isLeader(): boolean;
  /** Whether caches are synced and controllers run (false on a standby replica). */
  isRunning(): boolean;
  /** When the next automated run is due (undefined: automated runs off, or not leading). */
  nextAutomatedRun(): Date | undefined;
  /** Settles when the manager stops: resolves on `stop`, rejects when leadership is lost. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

interface ConfigSource {
  current(): EraserConfig;
  close(): void;
}

async function configSource(
  opts: ManagerOptions,
  log: Logger,
  onChange: () => void,
): Promise<ConfigSource> {
  if (opts.configPath === undefined) {
    const fixed = opts.config ?? defaultEraserConfig();
    return { current: () => fixed, close: () => undefined };
  }
  const watcher: ConfigWatcher = await watchConfig(opts.configPath, onChange, { logger: log });
  return {
    current: () => watcher.current().config,
    close: () => {
      watcher.close();
    },
  };
}

/** The controllers and queues that run only while this replica leads. */
class Controllers {
  readonly cache: ClusterCache;
  readonly jobQueue: WorkQueue;
  readonly listQueue: WorkQueue;
  readonly scheduler: Scheduler;
  private readonly lists: ImageListController;
  running = false;

  constructor(private readonly ctx: ManagerContext) {
    this.cache = ctx.cache;
    const launcher = new JobLauncher(ctx);
    const observe = (controller: string) => (outcome: string) => {
      ctx.metrics.reconciles.inc({ controller, outcome });
    };
    const jobs = new JobController(ctx, {
      enqueue: (job) => {
        this.jobQueue.add(job);
      },
      released: () => {
        this.released();
      },
    });
    this.lists = new ImageListController(ctx, launcher);
    this.scheduler = new Scheduler(ctx, launcher);
    this.jobQueue = new WorkQueue((key) => jobs.reconcile(key), {
      name: 'imagejob',
      log: ctx.log,
      concurrency: 4,
      observe: observe('imagejob'),
    });
    this.listQueue = new WorkQueue((key) => this.lists.reconcile(key), {
      name: 'imagelist',
      log: ctx.log,
      observe: observe('imagelist'),
    });
    this.watchCaches();
  }

  private watchCaches(): void {
    const { cache } = this;
    cache.jobs.onChange((_type, job) => {
      this.jobQueue.add(job.name);
    });
    cache.lists.onChange((_type, list) => {
      this.listQueue.add(list.name);
    });
    cache.pods.onChange((_type, pod) => {
      if (pod.jobName !== undefined) this.jobQueue.add(pod.jobName);
    });
    cache.nodes.onChange((type) => {
      if (type !== 'deleted') return;
      for (const job of cache.activeJobs()) this.jobQueue.add(job.name);
    });
  }

  /** A job stopped blocking: waiting lists and the schedule may go now. */
  private released(): void {
    if (!this.running) return;
    for (const name of this.lists.waiting()) this.listQueue.add(name);
    void this.scheduler.poke();
  }

  private stopped = false;

  private isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    await this.cache.start();
    if (this.isStopped()) return;
    await sweepOrphans(this.ctx);
    if (this.isStopped()) return;
    this.running = true;
    this.jobQueue.start();
    this.listQueue.start();
    for (const job of this.cache.jobs.values()) this.jobQueue.add(job.name);
    for (const list of this.cache.lists.values()) this.listQueue.add(list.name);
    await this.scheduler.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    this.scheduler.stop();
    await Promise.all([this.jobQueue.stop(), this.listQueue.stop()]);
    await this.cache.stop();
  }
}

/**
 * Each component's logger is a child of the root, not of the manager's: pino does not replace
 * a binding a child repeats, so `component` would appear twice on every line.
 */
function buildContext(
  opts: ManagerOptions,
  resolved: ResolvedOptions,
  root: Logger,
  config: () => EraserConfig,
): ManagerContext {
  const log = root.child({ component: 'manager' });
  const api = new KubeApi(opts.connection, root.child({ component: 'kube' }), opts.retry);
  return {
    api,
    cache: new ClusterCache(api, resolved.namespace, root.child({ component: 'cache' })),
    namespace: resolved.namespace,
    log,
    events: new EventRecorder(api, log, resolved.identity),
    metrics: new ManagerMetrics(),
    config,
    worker: {
      ...resolved.worker,
      namespace: resolved.namespace,
      runTimeoutMs: resolved.podRunTimeoutMs,
    },
    timeouts: { startMs: resolved.podStartTimeoutMs, runMs: resolved.podRunTimeoutMs },
    createConcurrency: resolved.createConcurrency,
    progressIntervalMs: resolved.progressIntervalMs,
    ...(opts.scanner === undefined ? {} : { scanner: opts.scanner }),
    now: opts.now ?? Date.now,
  };
}

/**
 * Starts the manager: config (watched), probe and metrics servers, leader election, then the
 * caches and controllers once this replica leads. See src/controller/README.md.
 */
export async function startManager(opts: ManagerOptions): Promise<ManagerHandle> {
  const resolved = resolveOptions(opts);
  const root = opts.logger ?? createLogger();
  const reload = { handler: (): void => undefined };
  const source = await configSource(opts, root, () => {
    reload.handler();
  });
  const ctx = buildContext(opts, resolved, root, () => source.current());
  const controllers = new Controllers(ctx);
  reload.handler = () => {
    ctx.metrics.configReloads.inc();
    if (controllers.running) void controllers.scheduler.poke();
  };
  return new Manager(opts, resolved, ctx, controllers, source).start();
}

class Manager implements ManagerHandle {
  healthUrl?: string;
  metricsUrl?: string;
  readonly metrics: ManagerMetrics;
  readonly done: Promise<void>;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private readonly servers: Server[] = [];
  private readonly elector: LeaderElector | undefined;
  private stopping = false;
  private startup: Promise<void> | undefined;

  constructor(
    private readonly opts: ManagerOptions,
    private readonly resolved: ResolvedOptions,
    private readonly ctx: ManagerContext,
    private readonly controllers: Controllers,
    private readonly source: ConfigSource,
  ) {
    this.metrics = ctx.metrics;
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined);
    const le = resolved.leader;
    this.elector =
      le === false
        ? undefined
        : new LeaderElector(ctx.api.client, { ...le, namespace: resolved.namespace }, ctx.log);
  }

  isLeader(): boolean {
    return this.elector === undefined || this.elector.isLeader;
  }

  isRunning(): boolean {
    return this.controllers.running;
  }

  nextAutomatedRun(): Date | undefined {
    const due = this.controllers.running ? this.controllers.scheduler.nextDueMs : undefined;
    return due === undefined ? undefined : new Date(due);
  }

  async start(): Promise<this> {
    await this.serve();
    this.startup = this.lead().catch((err: unknown) => {
      this.fail(err);
    });
    return this;
  }

  private probes(): Probes {
    return {
      healthy: () => ({ ok: !this.stopping, detail: this.stopping ? 'stopping' : 'running' }),
      ready: () => {
        if (this.controllers.running && this.controllers.cache.synced) {
          return { ok: true, detail: 'leading, caches synced' };
        }
        if (this.elector !== undefined && !this.elector.isLeader)
          return { ok: true, detail: 'standby' };
        return { ok: false, detail: 'starting' };
      },
    };
  }

  private async serve(): Promise<void> {
    const { healthAddress, metricsAddress } = this.opts;
    const shared = healthAddress !== undefined && healthAddress === metricsAddress;
    if (healthAddress !== undefined) {
      const addr = parseListenAddress('healthAddress', healthAddress);
      const registry = shared ? this.metrics.registry : undefined;
      const { server, url } = await serveHttp(addr, this.probes(), registry, this.ctx.log);
      this.servers.push(server);
      this.healthUrl = url;
      if (shared) this.metricsUrl = url;
    }
    if (metricsAddress !== undefined && !shared) {
      const addr = parseListenAddress('metricsAddress', metricsAddress);
      const { server, url } = await serveHttp(
        addr,
        this.probes(),
        this.metrics.registry,
        this.ctx.log,
      );
      this.servers.push(server);
      this.metricsUrl = url;
    }
  }

  private async lead(): Promise<void> {
    if (this.elector !== undefined) {
      if (!(await this.elector.acquire())) return;
      this.elector.keepRenewing((err) => {
        this.fail(err);
      });
    }
    if (this.stopping) return;
    this.metrics.leader.set(1);
    await this.controllers.start();
    this.ctx.log.info({ namespace: this.resolved.namespace }, 'controllers running');
  }

  private fail(err: unknown): void {
    this.ctx.log.error({ err }, 'manager stopping after a fatal error');
    void this.shutdown().then(() => this.settle?.reject(err));
  }

  async stop(): Promise<void> {
    await this.shutdown();
    this.settle?.resolve();
  }

  private async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.elector?.cancel();
    await this.controllers.stop();
    await this.startup;
    // The lease goes back only once nothing here acts any more.
    await this.elector?.release();
    this.metrics.leader.set(0);
    this.ctx.api.close();
    await this.ctx.events.flush();
    this.source.close();
    await Promise.all(this.servers.map(closeServer));
  }
}
