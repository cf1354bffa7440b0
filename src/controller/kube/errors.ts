import { errorMessage } from '../../errors.js';
import { ControllerError } from '../errors.js';

/**
 * A request the API server refused, or that got no answer (status 0). `reason` is the Status
 * object's reason (`AlreadyExists`, `Conflict`, `NotFound`…), or our own for status 0.
 */
export class KubeApiError extends ControllerError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super('KUBE_API', message, { status, reason }, options);
  }

  static network(method: string, path: string, cause: unknown): KubeApiError {
    const message = `${method} ${path}: no answer from the API server (${errorMessage(cause)})`;
    return new KubeApiError(0, 'Unreachable', message, undefined, { cause });
  }
}

/** Seconds in a Retry-After header or a Status's details.retryAfterSeconds, as ms. */
function retryAfterMs(header: string | undefined, details: unknown): number | undefined {
  const fromDetails =
    typeof details === 'object' && details !== null
      ? (details as { retryAfterSeconds?: unknown }).retryAfterSeconds
      : undefined;
  const seconds = typeof fromDetails === 'number' ? fromDetails : Number(header ?? NaN);
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 3600 ? seconds * 1000 : undefined;
}

/** The error for an HTTP answer of 400 or more, from its Status body when there is one. */
export function statusError(
  status: number,
  body: unknown,
  retryAfter: string | undefined,
  request: string,
): KubeApiError {
  const s = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const reason = typeof s['reason'] === 'string' ? s['reason'] : '';
  const text =
    typeof s['message'] === 'string' ? s['message'] : typeof body === 'string' ? body : '';
  const said = reason === '' ? `${status}` : `${status} ${reason}`;
  const message = `${request}: API server answered ${said}: ${text}`;
  return new KubeApiError(status, reason, message, retryAfterMs(retryAfter, s['details']));
}

/** What the API server said about a failed call, reduced to what callers decide on. */
export interface ApiFailure {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

/** Classifies a thrown value; anything that is not a KubeApiError counts as no answer. */
export function apiFailure(err: unknown): ApiFailure {
  if (err instanceof KubeApiError) {
    const base = { status: err.status, reason: err.reason, message: err.message };
    return err.retryAfterMs === undefined ? base : { ...base, retryAfterMs: err.retryAfterMs };
  }
  return { status: 0, reason: '', message: errorMessage(err) };
}

const RETRYABLE_STATUS = new Set([0, 429, 500, 502, 503, 504]);

export function isNotFound(err: unknown): boolean {
  return apiFailure(err).status === 404;
}

/** 409 for any reason: AlreadyExists on create, Conflict on a stale resourceVersion. */
export function isConflict(err: unknown): boolean {
  return apiFailure(err).status === 409;
}

export function isAlreadyExists(err: unknown): boolean {
  const failure = apiFailure(err);
  return failure.status === 409 && failure.reason !== 'Conflict';
}

/** Throttling, server errors and lost connections: the same request may succeed later. */
export function isRetryable(err: unknown): boolean {
  return RETRYABLE_STATUS.has(apiFailure(err).status);
}
