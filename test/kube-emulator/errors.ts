import { EraserError } from '../../src/errors.js';

/** The `reason` values of a Kubernetes `Status` that the emulator produces. */
export type StatusReason =
  | 'BadRequest'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'Gone'
  | 'Expired'
  | 'TooManyRequests'
  | 'InternalError';

/** `Status.details`, as the apiserver fills it (its `kind` holds the resource plural). */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** The `Status` object every failed API call returns as its body. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/**
 * An API failure on its way to the client: carries the HTTP code and the `Status` fields, so
 * handlers throw it and the server renders it exactly as the apiserver would.
 */
export class ApiError extends EraserError {
  readonly httpCode: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(httpCode: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(`KUBE_API_${reason.toUpperCase()}`, message, { httpCode, reason, details });
    this.httpCode = httpCode;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.httpCode,
    };
    if (this.details !== undefined) status.details = this.details;
    return status;
  }
}

/** Names a resource the way apiserver messages do: `configmaps` or `imagelists.eraser.sh`. */
export interface ResourceName {
  group: string;
  plural: string;
}

function qualified(r: ResourceName): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

export function notFound(r: ResourceName, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, {
    name,
    group: r.group,
    kind: r.plural,
  });
}

export function alreadyExists(r: ResourceName, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, {
    name,
    group: r.group,
    kind: r.plural,
  });
}

export function conflict(r: ResourceName, name: string, why: string): ApiError {
  const message = `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`;
  return new ApiError(409, 'Conflict', message, { name, group: r.group, kind: r.plural });
}

export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid with one cause per bad field, as validation failures are reported. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: { field: string; message: string }[],
): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const message = `${kind}${group === '' ? '' : `.${group}`} "${name}" is invalid: ${list}`;
  const detailCauses = causes.map((c) => ({
    reason: 'FieldValueInvalid',
    message: c.message,
    field: c.field,
  }));
  return new ApiError(422, 'Invalid', message, { name, group, kind, causes: detailCauses });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** The error the apiserver gives for paths it does not serve. */
export function noSuchPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}
