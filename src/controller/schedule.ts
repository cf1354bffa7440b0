import { CronExpressionParser } from 'cron-parser';

import type { ScheduleConfig } from '../api/config.js';

/**
 * When the next automated run is due. Derived from the last run (the newest automated job, or
 * the time recorded when it was launched), never from when this process started, so a
 * manager restart neither skips nor repeats a run. `anchorMs` is when scheduling first began
 * (recorded in the cluster), used before there has been any run.
 */
export function nextRunMs(
  schedule: ScheduleConfig,
  lastRunMs: number | undefined,
  anchorMs: number,
): number {
  if (lastRunMs === undefined && schedule.beginImmediately) return anchorMs;
  const base = lastRunMs ?? anchorMs;
  if (schedule.cron !== undefined && schedule.cron !== '') return nextCronMs(schedule.cron, base);
  return base + schedule.repeatIntervalMs;
}

/** The first time after `afterMs` the cron expression (UTC) fires. */
export function nextCronMs(expression: string, afterMs: number): number {
  const cron = CronExpressionParser.parse(expression.trim(), {
    currentDate: new Date(afterMs),
    tz: 'UTC',
  });
  return cron.next().getTime();
}

/** A short description for logs: `every 24h0m0s` or `cron "0 3 * * *"`. */
export function describeSchedule(schedule: ScheduleConfig): string {
  if (schedule.cron !== undefined && schedule.cron !== '') return `cron "${schedule.cron}"`;
  return `every ${Math.round(schedule.repeatIntervalMs / 1000)}s`;
}
