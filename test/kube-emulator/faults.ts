/** Injected failures, so tests can prove the controller survives a flaky apiserver. */

import { EraserError } from '../../src/errors.js';
import { ApiError } from './errors.js';
import type { Verb } from './types.js';

/** One rule: the next `times` requests it matches fail with `status`. */
export interface FaultSpec {
  /** Only this verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`...). */
  verb?: Verb;
  /** Only this resource key (`pods`, `imagelists.eraser.sh`); `pods/status` for the subresource. */
  resource?: string;
  namespace?: string;
  name?: string;
  times: number;
  status: 409 | 413 | 422 | 429 | 500;
  /** Seconds for the `Retry-After` header and `details.retryAfterSeconds`. */
  retryAfter?: number;
  message?: string;
}

/** What a request addresses, for matching against fault rules. */
export interface FaultTarget {
  verb: Verb;
  resource: string;
  subresource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
}

interface Rule {
  spec: FaultSpec;
  remaining: number;
}

function matches(spec: FaultSpec, t: FaultTarget): boolean {
  const full = t.subresource === undefined ? t.resource : `${t.resource}/${t.subresource}`;
  if (spec.verb !== undefined && spec.verb !== t.verb) return false;
  if (spec.resource !== undefined && spec.resource !== t.resource && spec.resource !== full) {
    return false;
  }
  if (spec.namespace !== undefined && spec.namespace !== t.namespace) return false;
  return spec.name === undefined || spec.name === t.name;
}

function failure(spec: FaultSpec, t: FaultTarget): ApiError {
  const details = { name: t.name ?? '', kind: t.resource };
  if (spec.status === 429) {
    const message = spec.message ?? 'Too many requests, please try again later.';
    const retry = spec.retryAfter === undefined ? {} : { retryAfterSeconds: spec.retryAfter };
    return new ApiError(429, 'TooManyRequests', message, { ...details, ...retry });
  }
  if (spec.status === 409) {
    const message =
      spec.message ?? `Operation cannot be fulfilled on ${t.resource}: injected conflict`;
    return new ApiError(409, 'Conflict', message, details);
  }
  if (spec.status === 413) {
    const message = spec.message ?? 'request entity too large: injected';
    return new ApiError(413, 'RequestEntityTooLarge', message, details);
  }
  if (spec.status === 422) {
    const message = spec.message ?? `${t.resource} "${t.name ?? ''}" is invalid: injected`;
    return new ApiError(422, 'Invalid', message, details);
  }
  const message = spec.message ?? 'Internal error occurred: injected failure';
  const retry = spec.retryAfter === undefined ? {} : { retryAfterSeconds: spec.retryAfter };
  return new ApiError(500, 'InternalError', message, { ...details, ...retry });
}

/** Fault rules, matched in the order they were added; each is used up after `times` hits. */
export class Faults {
  private rules: Rule[] = [];

  constructor(private readonly dropAll: () => number) {}

  add(spec: FaultSpec): void {
    if (!Number.isInteger(spec.times) || spec.times < 1) {
      throw new EraserError(
        'KUBE_EMULATOR_BAD_FAULT',
        `fault "times" must be a positive integer, got ${String(spec.times)}`,
        { spec },
      );
    }
    this.rules.push({ spec, remaining: spec.times });
  }

  /** Closes every open watch stream mid-stream (cleanly, as a server-side timeout does). */
  dropWatches(): number {
    return this.dropAll();
  }

  /** Rules not yet used up. */
  pending(): number {
    return this.rules.length;
  }

  clear(): void {
    this.rules = [];
  }

  /** The failure to answer this request with, consuming one use of the rule; or undefined. */
  take(target: FaultTarget): ApiError | undefined {
    const rule = this.rules.find((r) => matches(r.spec, target));
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return failure(rule.spec, target);
  }
}
