import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';

import type { Logger } from '../logger.js';
import type { RuntimeEndpoint } from './endpoint.js';
import {
  RuntimeCallError,
  RuntimeTimeoutError,
  RuntimeUnavailableError,
  type RuntimeError,
} from './errors.js';
import type { UnaryMethod } from './proto.js';

/** ListImages on a node with thousands of images exceeds gRPC's 4 MiB default. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export function createGrpcClient(endpoint: RuntimeEndpoint): Client {
  return new Client(endpoint.endpoint, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && 'code' in err && typeof err.code === 'number';
}

/** The name of a gRPC status code, e.g. 5 → NOT_FOUND. */
export function statusName(code: number): string {
  const name: unknown = status[code];
  return typeof name === 'string' ? name : `STATUS_${code}`;
}

export function toRuntimeError(
  endpoint: string,
  method: string,
  timeoutMs: number,
  err: unknown,
): RuntimeError {
  if (!isServiceError(err)) {
    return new RuntimeCallError(endpoint, method, 'UNKNOWN', String(err), { cause: err });
  }

  if (err.code === status.DEADLINE_EXCEEDED) {
    return new RuntimeTimeoutError(endpoint, method, timeoutMs, { cause: err });
  }

  if (err.code === status.UNAVAILABLE) {
    return new RuntimeUnavailableError(
      'RUNTIME_UNAVAILABLE',
      endpoint,
      `is unavailable during ${method}: ${err.details}`,
      { method, details: err.details },
      { cause: err },
    );
  }

  return new RuntimeCallError(endpoint, method, statusName(err.code), err.details, { cause: err });
}

export interface CallTarget {
  readonly client: Client;
  readonly endpoint: string;
  readonly logger: Logger;
}

/** One unary call with a deadline; failures become typed RuntimeErrors. */
export function unaryCall<Response>(
  target: CallTarget,
  method: UnaryMethod,
  request: object,
  timeoutMs: number,
): Promise<Response> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    target.client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, response) => {
        const ms = Math.round(performance.now() - started);
        if (err === null && response !== undefined) {
          target.logger.trace({ method: method.path, ms }, 'cri call');
          resolve(response as Response);
          return;
        }
        const error = toRuntimeError(target.endpoint, method.path, timeoutMs, err);
        target.logger.debug({ method: method.path, ms, code: error.code }, 'cri call failed');
        reject(error);
      },
    );
  });
}
