import type { Logger } from '../logger.js';
import { LeadershipLostError } from './errors.js';
import { leasePath } from './kube/api.js';
import type { KubeClient } from './kube/client.js';
import { isConflict, isNotFound } from './kube/errors.js';
import { timeMs } from './kube/read.js';

export interface LeaderOptions {
  readonly namespace: string;
  readonly leaseName: string;
  readonly identity: string;
  /** How long a lease holds without renewal before another replica may take it. */
  readonly leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leading. */
  readonly renewDeadlineMs: number;
  /** Time between attempts to acquire or renew. */
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEADER_TIMING = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
} as const;

/** A coordination.k8s.io/v1 Lease as JSON (times in MicroTime: six fractional digits). */
interface LeaseSpecJson {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface LeaseJson {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpecJson;
}

/** RFC 3339 with microseconds, the MicroTime format the API server parses. */
export function microTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface Observed {
  holder: string;
  renewTime: number;
  /** Local time the record was seen to change: expiry is judged on our clock, not theirs. */
  seenAt: number;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the leader renews the
 * lease every retry period; others take it over once it has not changed for a lease duration
 * (measured on their own clock, so clock skew between nodes does not matter). A leader that
 * cannot renew within the renew deadline stops leading.
 */
export class LeaderElector {
  private observed: Observed | undefined;
  private leading = false;
  private readonly stop = new AbortController();
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderOptions,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once this process holds the lease, or when `close` is called (then false). */
  async acquire(): Promise<boolean> {
    const { signal } = this.stop;
    let announced = false;
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log.info({ lease: this.options.leaseName }, 'became leader');
        return true;
      }
      if (!announced) this.log.info({ holder: this.observed?.holder }, 'waiting for the lease');
      announced = true;
      await delay(this.jittered(), signal);
    }
    return false;
  }

  /** Renews until `close`; calls `onLost` once if renewal fails for the renew deadline. */
  keepRenewing(onLost: (err: LeadershipLostError) => void): void {
    const { signal } = this.stop;
    this.renewing = (async () => {
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await delay(this.options.retryPeriodMs, signal);
        if (this.stop.signal.aborted) return;
        if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
        else if (Date.now() - lastRenew > this.options.renewDeadlineMs) {
          this.leading = false;
          onLost(new LeadershipLostError(this.options.leaseName, this.options.identity));
          return;
        }
      }
    })();
  }

  /** Stops acquiring and renewing (the lease stays ours until `release` or expiry). */
  cancel(): void {
    this.stop.abort();
  }

  /** Stops renewing and, if leading, hands the lease back so a peer need not wait it out. */
  async release(): Promise<void> {
    this.stop.abort();
    await this.renewing;
    if (!this.leading) return;
    this.leading = false;
    try {
      await this.giveBack();
    } catch (err: unknown) {
      this.log.warn({ err }, 'lease not released; a peer takes over when it expires');
    }
  }

  /** A hung lease call must not outlast the renew deadline, or a lost lease goes unseen. */
  private callTimeoutMs(): number {
    return Math.max(500, Math.floor(this.options.renewDeadlineMs / 2));
  }

  private jittered(): number {
    return Math.round(this.options.retryPeriodMs * (1 + Math.random() * 0.2));
  }

  private async giveBack(): Promise<void> {
    const lease = await this.read();
    const spec = lease?.spec;
    if (lease === undefined || spec?.holderIdentity !== this.options.identity) return;
    const released = {
      ...spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: microTime(),
    };
    await this.replace({ ...lease, spec: released });
    this.log.info({ lease: this.options.leaseName }, 'lease released');
  }

  private read(): Promise<LeaseJson | undefined> {
    const path = leasePath(this.options.namespace, this.options.leaseName);
    return this.client.request('GET', path, { timeoutMs: this.callTimeoutMs() }).then(
      (lease) => lease as LeaseJson,
      (err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      },
    );
  }

  /** Replaces the lease; its resourceVersion makes a concurrent change fail with 409. */
  private async replace(lease: LeaseJson): Promise<void> {
    const path = leasePath(this.options.namespace, this.options.leaseName);
    await this.client.request('PUT', path, { body: lease, timeoutMs: this.callTimeoutMs() });
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const lease = await this.read();
      return lease === undefined ? await this.create() : await this.update(lease);
    } catch (err: unknown) {
      if (!isConflict(err)) this.log.warn({ err }, 'lease request failed');
      return false;
    }
  }

  private spec(transitions: number, acquired: string): LeaseSpecJson {
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      acquireTime: acquired,
      renewTime: microTime(),
      leaseTransitions: transitions,
    };
  }

  private async create(): Promise<boolean> {
    const { namespace, leaseName } = this.options;
    const body: LeaseJson = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: leaseName, namespace },
      spec: this.spec(0, microTime()),
    };
    const timeoutMs = this.callTimeoutMs();
    await this.client.request('POST', leasePath(namespace), { body, timeoutMs });
    return true;
  }

  private heldByOther(lease: LeaseJson, now: number): boolean {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = timeMs(lease.spec?.renewTime) ?? 0;
    const seen = this.observed;
    if (seen === undefined || seen.holder !== holder || seen.renewTime !== renewTime) {
      this.observed = { holder, renewTime, seenAt: now };
    }
    if (holder === '' || holder === this.options.identity) return false;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    return (this.observed?.seenAt ?? now) + durationMs > now;
  }

  private async update(lease: LeaseJson): Promise<boolean> {
    if (this.heldByOther(lease, Date.now())) return false;
    const mine = lease.spec?.holderIdentity === this.options.identity;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const since = mine ? timeMs(lease.spec?.acquireTime) : undefined;
    await this.replace({ ...lease, spec: this.spec(transitions, microTime(since)) });
    return true;
  }
}
