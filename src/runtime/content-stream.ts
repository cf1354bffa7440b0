import { Readable } from 'node:stream';

import { type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';

import type { Logger } from '../logger.js';
import { RuntimeError, RuntimeTimeoutError } from './errors.js';
import { toRuntimeError } from './grpc-call.js';
import type { UnaryMethod } from './proto.js';

/** Where a content stream reads from; the client carries the namespace interceptor. */
export interface ContentStreamTarget {
  readonly client: Client;
  readonly endpoint: string;
  readonly logger: Logger;
  readonly method: UnaryMethod;
}

export interface ContentStreamOptions {
  /** Blob digest to read. */
  readonly digest: string;
  /** First byte to read. */
  readonly offset: number;
  /** Bytes to read from `offset`; the stream fails if the store has fewer. */
  readonly length: number;
  /** Bytes asked for per Read call: bounds what one call can buffer. */
  readonly windowBytes: number;
  /** Longest silence from the runtime while we wait for bytes. */
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
}

interface ReadResponse {
  readonly offset: number;
  readonly data: Buffer;
}

/**
 * A byte stream over containerd's content Read, issued as consecutive ranged reads of at most
 * `windowBytes` each. Ranges keep memory bounded whatever the blob size (a call never holds more
 * than one window) and let backpressure pause the gRPC call. The stream is bounded in time too:
 * when the runtime stays silent for `idleTimeoutMs` while we wait, the call is cancelled.
 * Destroying the stream (or aborting `signal`) cancels the call in flight.
 */
export class ContentReadStream extends Readable {
  private call: ClientReadableStream<ReadResponse> | undefined;
  private position: number;
  private windowStart = 0;
  private windowEnd = 0;
  private readonly end: number;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(
    private readonly target: ContentStreamTarget,
    private readonly options: ContentStreamOptions,
  ) {
    super({
      highWaterMark: options.windowBytes,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    this.position = options.offset;
    this.end = options.offset + options.length;
  }

  override _read(): void {
    if (this.call === undefined) {
      this.startWindow();
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.armTimer();
      this.call.resume();
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.stopCall();
    callback(err);
  }

  private startWindow(): void {
    if (this.position >= this.end) {
      this.push(null);
      return;
    }

    this.windowStart = this.position;
    this.windowEnd = Math.min(this.end, this.position + this.options.windowBytes);
    const request = {
      digest: this.options.digest,
      offset: this.position,
      size: this.windowEnd - this.position,
    };
    const { method } = this.target;
    const call = this.target.client.makeServerStreamRequest<object, ReadResponse>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize as (bytes: Buffer) => ReadResponse,
      request,
    );
    this.call = call;
    call.on('data', (message: ReadResponse) => {
      this.onData(call, message);
    });
    call.on('end', () => {
      this.onWindowEnd(call);
    });
    call.on('error', (err: ServiceError) => {
      this.onError(call, err);
    });
    this.armTimer();
  }

  private onData(call: ClientReadableStream<ReadResponse>, message: ReadResponse): void {
    if (call !== this.call || this.destroyed) return;

    const { offset, data } = message;
    // containerd 1.6 numbers response offsets from the start of the requested range, not of
    // the blob; both numberings are accepted, anything else means lost or reordered bytes.
    const inWindow = this.position - this.windowStart;
    if (offset !== inWindow && offset !== this.position) {
      this.fail(`answered bytes at offset ${offset} where ${this.position} was next`);
      return;
    }
    if (this.position + data.length > this.windowEnd) {
      const asked = this.windowEnd - this.windowStart;
      this.fail(`sent more than the ${asked} bytes asked for`);
      return;
    }

    this.position += data.length;
    this.armTimer();
    if (!this.push(data)) {
      this.paused = true;
      this.clearTimer();
      call.pause();
    }
  }

  private onWindowEnd(call: ClientReadableStream<ReadResponse>): void {
    if (call !== this.call || this.destroyed) return;

    this.clearTimer();
    this.call = undefined;
    if (this.position < this.windowEnd) {
      const expected = this.end - this.options.offset;
      const got = this.position - this.options.offset;
      this.fail(`ended the blob after ${got} of ${expected} bytes`, 'RUNTIME_CONTENT_SHORT');
      return;
    }
    this.startWindow();
  }

  private onError(call: ClientReadableStream<ReadResponse>, err: ServiceError): void {
    // A cancel we made ourselves (destroy, timeout) ends up here too: nothing left to report.
    if (call !== this.call || this.destroyed) return;

    this.call = undefined;
    this.clearTimer();
    const method = `${this.target.method.path} ${this.options.digest}`;
    this.destroy(toRuntimeError(this.target.endpoint, method, this.options.idleTimeoutMs, err));
  }

  private fail(problem: string, code = 'RUNTIME_BAD_RESPONSE'): void {
    const { endpoint } = this.target;
    const { digest } = this.options;
    const message = `runtime at ${endpoint} ${problem} while reading content ${digest}`;
    this.target.logger.debug({ digest, problem }, 'content read failed');
    this.destroy(new RuntimeError(code, message, { endpoint, digest }));
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      const { idleTimeoutMs, digest } = this.options;
      const what = `content Read of ${digest}`;
      this.destroy(new RuntimeTimeoutError(this.target.endpoint, what, idleTimeoutMs));
    }, this.options.idleTimeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private stopCall(): void {
    this.clearTimer();
    const call = this.call;
    this.call = undefined;
    // The CANCELLED error this causes reaches onError, which ignores calls no longer current.
    call?.cancel();
  }
}
