/** The HTTP side: decode the request, apply faults, dispatch to a verb, encode the answer. */

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from '../../src/logger.js';
import { deleteHandlers } from './delete.js';
import { discoveryDocument } from './discovery.js';
import { ApiError, badRequest, internalError } from './errors.js';
import type { Faults } from './faults.js';
import { handlers, selectorFrom, type ApiRequest, type HandlerContext } from './handlers.js';
import type { RequestLog } from './request-log.js';
import { resourceKey } from './resources.js';
import { route, type ResourceTarget } from './router.js';
import type { WatchHub } from './watch.js';

export interface ServerParts {
  ctx: HandlerContext;
  hub: WatchHub;
  faults: Faults;
  requestLog: RequestLog;
  log: Logger;
  maxBodyBytes: number;
  serverAddress: () => string;
}

const JSON_TYPE = 'application/json';

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) {
      throw new ApiError(413, 'RequestEntityTooLarge', `request body exceeds ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function decodeBody(text: string, type: string, verb: string): unknown {
  if (text.trim() === '') return undefined;
  const jsonLike = type === '' || type === JSON_TYPE || type.endsWith('+json');
  if (!jsonLike || (verb !== 'patch' && type !== '' && type !== JSON_TYPE)) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: ' +
        JSON_TYPE,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    throw badRequest(
      `the request body is not valid JSON: ${err instanceof Error ? err.message : ''}`,
    );
  }
}

function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : JSON_TYPE;
  res.writeHead(code, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  const retry = err.details?.retryAfterSeconds;
  const headers: Record<string, string> =
    retry === undefined ? {} : { 'Retry-After': String(retry) };
  send(res, err.httpCode, err.toStatus(), headers);
}

function flag(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  return value === 'true' || value === '1';
}

function timeoutOf(query: URLSearchParams): number | undefined {
  const raw = query.get('timeoutSeconds');
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`timeoutSeconds: Invalid value: "${raw}"`);
  return Number(raw);
}

function startWatch(
  parts: ServerParts,
  target: ResourceTarget,
  query: URLSearchParams,
  res: ServerResponse,
): void {
  parts.hub.open(
    {
      rt: target.rt,
      version: target.version,
      namespace: target.namespace,
      selector: selectorFrom(target.rt, query),
      resourceVersion: query.get('resourceVersion') ?? undefined,
      allowBookmarks: flag(query, 'allowWatchBookmarks') === true,
      sendInitialEvents: flag(query, 'sendInitialEvents'),
      timeoutSeconds: timeoutOf(query),
    },
    res,
  );
}

async function serveResource(
  parts: ServerParts,
  target: ResourceTarget,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const fault = parts.faults.take({
    verb: target.verb,
    resource: resourceKey(target.rt),
    subresource: target.subresource,
    namespace: target.namespace,
    name: target.name,
  });
  if (fault !== undefined) throw fault;
  // Refused rather than ignored: silently persisting a dry run would corrupt test state.
  if (query.has('dryRun')) throw badRequest('dryRun is not supported by the kube emulator');

  const type = mediaType(req);
  const body = decodeBody(await readBody(req, parts.maxBodyBytes), type, target.verb);
  if (target.verb === 'watch') {
    startWatch(parts, target, query, res);
    return;
  }
  const apiRequest: ApiRequest = { target, query, body, contentType: type };
  const handler =
    target.verb === 'delete' || target.verb === 'deletecollection'
      ? deleteHandlers[target.verb]
      : handlers[target.verb];
  const out = handler(parts.ctx, apiRequest);
  send(res, out.code, out.body);
}

function logEntry(
  parts: ServerParts,
  req: IncomingMessage,
  url: URL,
  target: ResourceTarget | undefined,
  status: number,
): void {
  const entry: Parameters<RequestLog['record']>[0] = {
    method: req.method ?? '',
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    status,
  };
  if (target !== undefined) {
    const key = resourceKey(target.rt);
    entry.verb = target.verb;
    entry.resource = target.subresource === undefined ? key : `${key}/${target.subresource}`;
    if (target.namespace !== undefined) entry.namespace = target.namespace;
    if (target.name !== undefined) entry.name = target.name;
  }
  parts.requestLog.record(entry);
  parts.log.debug({ method: entry.method, path: entry.path, verb: entry.verb, status }, 'request');
}

/** Serves one HTTP request; never rejects (every failure becomes a Status response). */
export async function serve(
  parts: ServerParts,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  let target: ResourceTarget | undefined;
  try {
    const found = route(req.method ?? 'GET', url.pathname, url.searchParams, parts.ctx.registry);
    if (found.type === 'discovery') {
      send(res, 200, discoveryDocument(found.target, parts.ctx.registry, parts.serverAddress()));
    } else {
      target = found.target;
      await serveResource(parts, found.target, req, res, url.searchParams);
    }
  } catch (err: unknown) {
    const apiErr =
      err instanceof ApiError
        ? err
        : internalError(err instanceof Error ? err.message : String(err));
    if (!(err instanceof ApiError))
      parts.log.error({ err, path: url.pathname }, 'emulator handler failed');
    if (res.headersSent) res.end();
    else sendError(res, apiErr);
  }
  logEntry(parts, req, url, target, res.statusCode);
}
