import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';

import type { Logger } from '../logger.js';
import { ManagerOptionError } from './errors.js';

/** A listen address: `:8081`, `0.0.0.0:8081`, `127.0.0.1:0`, `[::1]:9000`. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListenAddress(option: string, text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3] ?? NaN);
  if (match === null || port > 65535) {
    throw new ManagerOptionError(option, text, 'HOST:PORT or :PORT, e.g. :8081 or 127.0.0.1:0');
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** What the probes ask: is the process working, and should it get traffic / be counted ready. */
export interface Probes {
  healthy(): { ok: boolean; detail: string };
  ready(): { ok: boolean; detail: string };
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  probes: Probes,
  registry: Registry | undefined,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, 405, 'text/plain', 'method not allowed\n');
  } else if (path === '/healthz' || path === '/readyz') {
    const { ok, detail } = path === '/healthz' ? probes.healthy() : probes.ready();
    reply(res, ok ? 200 : 503, 'text/plain', `${ok ? 'ok' : 'not ok'}: ${detail}\n`);
  } else if (path === '/metrics' && registry !== undefined) {
    reply(res, 200, registry.contentType, await registry.metrics());
  } else {
    reply(res, 404, 'text/plain', 'not found\n');
  }
}

/** An HTTP server for probes and/or metrics; resolves once it listens. */
export async function serveHttp(
  address: ListenAddress,
  probes: Probes,
  registry: Registry | undefined,
  log: Logger,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(req, res, probes, registry).catch((err: unknown) => {
      log.error({ err }, 'http handler failed');
      if (!res.headersSent) reply(res, 500, 'text/plain', 'internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return { server, url: `http://${host}:${port}` };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
