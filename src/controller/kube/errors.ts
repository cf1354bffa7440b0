import { ApiException } from '@kubernetes/client-node';

/** What the API server said when it refused a request, reduced to what callers decide on. */
export interface ApiFailure {
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** The `reason` of the returned Status object, e.g. `AlreadyExists`, `Conflict`. */
  readonly reason: string;
  readonly message: string;
  /** From a `Retry-After` header, when the server asked for a pause (429, 503). */
  readonly retryAfterMs?: number;
}

const RETRYABLE_STATUS = new Set([0, 429, 500, 502, 503, 504]);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

function statusBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'string') return record(body);
  try {
    return record(JSON.parse(body));
  } catch {
    return undefined;
  }
}

function retryAfter(headers: Record<string, string>): number | undefined {
  const raw = headers['retry-after'] ?? headers['Retry-After'];
  if (raw === undefined || !/^\d{1,5}$/.test(raw.trim())) return undefined;
  return Number(raw.trim()) * 1000;
}

/** Classifies a thrown value from a client call; no HTTP answer at all is status 0. */
export function apiFailure(err: unknown): ApiFailure {
  if (err instanceof ApiException) {
    const body = statusBody(err.body);
    const reason = typeof body?.['reason'] === 'string' ? body['reason'] : '';
    const message = typeof body?.['message'] === 'string' ? body['message'] : err.message;
    const after = retryAfter(err.headers);
    const base = { status: err.code, reason, message };
    return after === undefined ? base : { ...base, retryAfterMs: after };
  }
  const e = record(err);
  const status = typeof e?.['statusCode'] === 'number' ? e['statusCode'] : 0;
  return { status, reason: '', message: err instanceof Error ? err.message : String(err) };
}

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
