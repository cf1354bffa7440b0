import { EraserError } from '../errors.js';

/**
 * Base of every error about talking to a container runtime. `context.endpoint` always names the
 * endpoint, so a user sees which socket failed without reading the stack.
 */
export class RuntimeError extends EraserError {
  readonly endpoint: string;

  constructor(
    code: string,
    message: string,
    context: Record<string, unknown> & { endpoint: string },
    options?: { cause?: unknown },
  ) {
    super(code, message, context, options);
    this.endpoint = context.endpoint;
  }
}

/** The endpoint string itself is unusable (scheme, relative path, length). */
export class InvalidEndpointError extends RuntimeError {
  constructor(endpoint: string, reason: string) {
    super(
      'RUNTIME_ENDPOINT_INVALID',
      `runtime endpoint ${JSON.stringify(endpoint)} is invalid: ${reason}; ` +
        'expected unix:///absolute/path or /absolute/path',
      { endpoint, reason },
    );
  }
}

export type UnavailableCode =
  | 'RUNTIME_SOCKET_MISSING'
  | 'RUNTIME_PERMISSION_DENIED'
  | 'RUNTIME_NOT_A_SOCKET'
  | 'RUNTIME_CONNECTION_REFUSED'
  | 'RUNTIME_UNAVAILABLE';

/** Nothing usable answers at the endpoint: no socket, no permission, nobody listening. */
export class RuntimeUnavailableError extends RuntimeError {
  declare readonly code: UnavailableCode;

  /** The message reads `runtime at <endpoint> <detail>`. */
  constructor(
    code: UnavailableCode,
    endpoint: string,
    detail: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, `runtime at ${endpoint} ${detail}`, { ...context, endpoint }, options);
  }
}

export type IncompatibleCode = 'RUNTIME_NOT_CRI' | 'RUNTIME_CRI_TOO_OLD';

/** Something answers, but it is not a CRI runtime.v1 server. */
export class RuntimeIncompatibleError extends RuntimeError {
  declare readonly code: IncompatibleCode;

  /** The message reads `runtime at <endpoint> <detail>`. */
  constructor(
    code: IncompatibleCode,
    endpoint: string,
    detail: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, `runtime at ${endpoint} ${detail}`, { ...context, endpoint }, options);
  }
}

/** The runtime did not answer within the deadline. */
export class RuntimeTimeoutError extends RuntimeError {
  constructor(
    endpoint: string,
    operation: string,
    timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      'RUNTIME_TIMEOUT',
      `runtime at ${endpoint} did not answer ${operation} within ${timeoutMs} ms`,
      { endpoint, operation, timeoutMs },
      options,
    );
  }
}

/** A CRI call reached the runtime and failed there (gRPC status other than OK). */
export class RuntimeCallError extends RuntimeError {
  /** The gRPC status code name, e.g. `NOT_FOUND`, `INVALID_ARGUMENT`. */
  readonly grpcStatus: string;
  /** The runtime's own words. */
  readonly details: string;

  constructor(
    endpoint: string,
    method: string,
    grpcStatus: string,
    details: string,
    options?: { cause?: unknown },
  ) {
    super(
      grpcStatus === 'NOT_FOUND' ? 'RUNTIME_NOT_FOUND' : 'RUNTIME_CALL_FAILED',
      `runtime at ${endpoint} failed ${method}: ${grpcStatus}: ${details}`,
      { endpoint, method, grpcStatus, details },
      options,
    );
    this.grpcStatus = grpcStatus;
    this.details = details;
  }
}
