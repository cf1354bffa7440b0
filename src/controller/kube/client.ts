import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';

import type { ClusterConnection } from './connection.js';
import { KubeApiError, statusError } from './errors.js';
import type { WatchFn } from './reflector.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** Defaults to application/json; patches name their flavour. */
  readonly contentType?: string;
  /** How long to wait for the answer; 30 s by default. */
  readonly timeoutMs?: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** A watch that delivers nothing (not even a bookmark) for this long is restarted. */
const WATCH_IDLE_MS = 5 * 60_000;
const TOKEN_REFRESH_MS = 60_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function url(server: string, path: string, query: Query = {}): URL {
  const target = new URL(server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) target.searchParams.set(key, String(value));
  }
  return target;
}

/**
 * A small client for the Kubernetes REST API: JSON requests and watch streams over node's own
 * http(s), with keep-alive. The manager uses it instead of @kubernetes/client-node because
 * loading that package alone takes about 60 MiB of memory, more than half of the manager's
 * budget; the emulator tests check that both speak the same wire protocol.
 */
export class KubeClient {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secure: boolean;
  private token: string | undefined;
  private tokenReadAt = 0;

  constructor(private readonly connection: ClusterConnection) {
    this.secure = connection.server.startsWith('https:');
    const common = { keepAlive: true, maxSockets: 64 };
    this.agent = this.secure
      ? new HttpsAgent({
          ...common,
          ...(connection.ca === undefined ? {} : { ca: connection.ca }),
          ...(connection.cert === undefined ? {} : { cert: connection.cert }),
          ...(connection.key === undefined ? {} : { key: connection.key }),
          rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
        })
      : new HttpAgent(common);
    this.token = connection.token;
  }

  close(): void {
    this.agent.destroy();
  }

  /** The bearer token, re-read from its file now and then: service account tokens rotate. */
  private async bearer(): Promise<string | undefined> {
    const file = this.connection.tokenFile;
    if (file === undefined || Date.now() - this.tokenReadAt < TOKEN_REFRESH_MS) return this.token;
    this.token = (await readFile(file, 'utf8')).trim();
    this.tokenReadAt = Date.now();
    return this.token;
  }

  private async headers(contentType: string | undefined): Promise<Record<string, string>> {
    const token = await this.bearer();
    return {
      accept: 'application/json',
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    };
  }

  private open(
    method: string,
    target: URL,
    headers: Record<string, string>,
    timeoutMs: number,
  ): ReturnType<typeof httpRequest> {
    const send = this.secure ? httpsRequest : httpRequest;
    const req = send(target, { method, headers, agent: this.agent });
    req.setTimeout(timeoutMs, () => {
      req.destroy(new KubeApiError(0, 'Timeout', `no answer within ${timeoutMs} ms`));
    });
    return req;
  }

  /** One request; resolves with the parsed JSON answer, throws KubeApiError otherwise. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<unknown> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const contentType = body === undefined ? undefined : (opts.contentType ?? 'application/json');
    const headers = await this.headers(contentType);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const target = url(this.connection.server, path, opts.query);
    return new Promise((resolve, reject) => {
      const req = this.open(method, target, headers, opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
      req.on('error', (err) => {
        reject(err instanceof KubeApiError ? err : KubeApiError.network(method, path, err));
      });
      req.on('response', (res) => {
        readJson(res).then((json) => {
          if ((res.statusCode ?? 0) < 400) resolve(json);
          else
            reject(
              statusError(
                res.statusCode ?? 0,
                json,
                res.headers['retry-after'],
                `${method} ${path}`,
              ),
            );
        }, reject);
      });
      req.end(body);
    });
  }

  /** Watches a collection, with the signature of client-node's Watch#watch. */
  readonly watch: WatchFn = async (path, query, onEvent, onDone) => {
    const headers = await this.headers(undefined);
    const target = url(this.connection.server, path, { ...query, watch: true });
    const req = this.open('GET', target, headers, WATCH_IDLE_MS);
    let finished = false;
    const done = (err: unknown): void => {
      if (finished) return;
      finished = true;
      onDone(err);
    };
    req.on('error', (err) => {
      done(err instanceof KubeApiError ? err : KubeApiError.network('GET', path, err));
    });
    req.on('response', (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        readJson(res).then((json) => {
          done(statusError(res.statusCode ?? 0, json, undefined, `watch ${path}`));
        }, done);
        return;
      }
      streamLines(res, onEvent, done);
    });
    req.end();
    return { abort: () => req.destroy() };
  };
}

function readJson(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) res.destroy(new KubeApiError(0, 'TooLarge', 'answer too large'));
      else chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? undefined : (JSON.parse(text) as unknown));
      } catch {
        resolve(text);
      }
    });
  });
}

/** Feeds each newline-delimited watch event to `onEvent` until the stream ends. */
function streamLines(
  res: IncomingMessage,
  onEvent: (type: string, object: unknown) => void,
  done: (err: unknown) => void,
): void {
  let pending = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') deliver(line, onEvent);
      newline = pending.indexOf('\n');
    }
  });
  res.on('error', done);
  res.on('close', () => {
    done(undefined);
  });
}

function deliver(line: string, onEvent: (type: string, object: unknown) => void): void {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return;
  }
  if (typeof event !== 'object' || event === null) return;
  const { type, object } = event as { type?: unknown; object?: unknown };
  if (typeof type === 'string') onEvent(type, object);
}
