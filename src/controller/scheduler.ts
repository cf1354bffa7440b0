import type { ManagerContext } from './context.js';
import type { JobLauncher } from './launcher.js';
import { LABELS, MANAGER_NAME } from './labels.js';
import { workerPipeline } from './pipeline.js';
import { describeSchedule, nextRunMs } from './schedule.js';

/** The ConfigMap where the schedule keeps what must survive a restart. */
export const STATE_CONFIGMAP = 'eraser-manager-state';
const LAST_RUN_KEY = 'automated.lastRun';
const ANCHOR_KEY = 'automated.anchor';

/** setTimeout cannot wait longer than ~24.8 days; a day at a time is plenty. */
const MAX_TIMER_MS = 24 * 3_600_000;

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Launches automated jobs on the configured schedule (interval or cron). The last run and
 * the schedule's start are kept in a ConfigMap and read with the newest automated job, so the
 * next run time survives restarts. A run that comes due while another job is active starts
 * when that job finishes.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private state: Record<string, string> = {};
  private stateExists = false;
  private refusal = '';
  private running = false;
  private again = false;
  private stopped = false;
  /** When the next automated run is due; undefined while automated runs are off. */
  nextDueMs: number | undefined;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly launcher: JobLauncher,
  ) {}

  async start(): Promise<void> {
    const cm = await this.ctx.api.readConfigMap(this.ctx.namespace, STATE_CONFIGMAP);
    this.stateExists = cm !== undefined;
    this.state = { ...(cm?.data ?? {}) };
    await this.poke();
  }

  /** Whether a poke arrived during the evaluation (read through a call: set across awaits). */
  private repeat(): boolean {
    return this.again && !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** Re-evaluates now: after a config change, a finished job, or the timer. */
  async poke(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.evaluate();
      } while (this.repeat());
    } catch (err: unknown) {
      this.ctx.log.error({ err }, 'schedule evaluation failed; retrying in a minute');
      this.arm(60_000);
    } finally {
      this.running = false;
    }
  }

  /** The newest automated run: the state record or the newest automated job, whichever is later. */
  lastRunMs(): number | undefined {
    const jobs = this.ctx.cache.jobs.values().filter((j) => j.labels[LABELS.type] === 'automated');
    const times = jobs.map((j) => j.createdMs);
    const recorded = parseTime(this.state[LAST_RUN_KEY]);
    if (recorded !== undefined) times.push(recorded);
    return times.length === 0 ? undefined : Math.max(...times);
  }

  private async evaluate(): Promise<void> {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextDueMs = undefined;
    if (!this.enabled()) return;
    const schedule = this.ctx.config().manager.scheduling;
    const anchor = await this.anchor();
    const due = nextRunMs(schedule, this.lastRunMs(), anchor);
    this.nextDueMs = due;
    const now = this.ctx.now();
    if (due > now) {
      this.arm(due - now);
      return;
    }
    if (this.launcher.busy()) return;
    const job = await this.launcher.launch('automated');
    await this.save({ [LAST_RUN_KEY]: new Date(now).toISOString() });
    const next = nextRunMs(schedule, now, anchor);
    this.nextDueMs = next;
    this.ctx.log.info(
      { job, schedule: describeSchedule(schedule), next: new Date(next).toISOString() },
      'automated run launched',
    );
    this.arm(next - now);
  }

  /** Whether automated runs can happen with this config; says why not, once per reason. */
  private enabled(): boolean {
    const check = workerPipeline('automated', this.ctx.config(), false, this.ctx.scanner);
    const reason = check.ok ? '' : check.message;
    if (reason !== this.refusal && !check.ok) {
      this.ctx.log.warn({ reason: check.reason, detail: check.message }, 'automated runs off');
    }
    this.refusal = reason;
    return check.ok;
  }

  private async anchor(): Promise<number> {
    const recorded = parseTime(this.state[ANCHOR_KEY]);
    if (recorded !== undefined) return recorded;
    const now = this.ctx.now();
    await this.save({ [ANCHOR_KEY]: new Date(now).toISOString() });
    return now;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poke(), Math.min(MAX_TIMER_MS, Math.max(0, delayMs)));
    this.timer.unref();
  }

  private async save(data: Record<string, string>): Promise<void> {
    this.state = { ...this.state, ...data };
    const { api, namespace } = this.ctx;
    if (this.stateExists) {
      await api.patchConfigMapData(namespace, STATE_CONFIGMAP, data);
      return;
    }
    const metadata = {
      name: STATE_CONFIGMAP,
      namespace,
      labels: { [LABELS.managedBy]: MANAGER_NAME },
    };
    if ((await api.createConfigMap(namespace, { metadata, data: this.state })) === 'exists') {
      await api.patchConfigMapData(namespace, STATE_CONFIGMAP, data);
    }
    this.stateExists = true;
  }
}
