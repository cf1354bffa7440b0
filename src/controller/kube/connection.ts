import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { errorMessage } from '../../errors.js';
import { ManagerOptionError } from '../errors.js';
import { at, compact, list, str } from './read.js';

/** Where the API server is and how to prove who we are. */
export interface ClusterConnection {
  /** `https://host:port` (or `http://127.0.0.1:port` for a local test server). */
  readonly server: string;
  /** PEM bundle the server's certificate must chain to. */
  readonly ca?: string;
  readonly token?: string;
  /** A token file, re-read now and then (projected service account tokens rotate). */
  readonly tokenFile?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's own service account, as every in-cluster client reads it. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env): ClusterConnection {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host === '') {
    throw new ManagerOptionError('kubeconfig', '', 'a kubeconfig file, or running in a pod');
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    ca: readFileSync(join(SERVICE_ACCOUNT, 'ca.crt'), 'utf8'),
    tokenFile: join(SERVICE_ACCOUNT, 'token'),
  };
}

function named(items: unknown, name: string, key: string): unknown {
  return at(
    list(items).find((item) => at(item, 'name') === name),
    key,
  );
}

function fileOrData(base: string, entry: unknown, field: string): string | undefined {
  const data = str(at(entry, `${field}-data`));
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  const path = str(at(entry, field));
  if (path === undefined) return undefined;
  return readFileSync(isAbsolute(path) ? path : join(base, path), 'utf8');
}

function refuseAuth(user: unknown, file: string): void {
  for (const field of ['exec', 'auth-provider', 'username']) {
    if (at(user, field) !== undefined) {
      const allowed = 'a kubeconfig user with a token, token file or client certificate';
      throw new ManagerOptionError(`kubeconfig ${file}: users[].user.${field}`, field, allowed);
    }
  }
}

/**
 * Reads the current context of a kubeconfig file: server, CA, and a token, token file or
 * client certificate. Exec plugins and auth providers are refused: the manager runs in a
 * pod with a service account; a kubeconfig is for tests and development.
 */
function readKubeconfig(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err: unknown) {
    const allowed = `a readable kubeconfig file (${errorMessage(err)})`;
    throw new ManagerOptionError('kubeconfig', file, allowed);
  }
}

export function kubeconfigConnection(file: string): ClusterConnection {
  const doc = readKubeconfig(file);
  const base = dirname(file);
  const contextName = str(at(doc, 'current-context')) ?? '';
  const context = named(at(doc, 'contexts'), contextName, 'context');
  const cluster = named(at(doc, 'clusters'), str(at(context, 'cluster')) ?? '', 'cluster');
  const user = named(at(doc, 'users'), str(at(context, 'user')) ?? '', 'user');
  const server = str(at(cluster, 'server'));
  if (server === undefined) {
    const allowed = 'a current-context whose cluster has a server';
    throw new ManagerOptionError('kubeconfig', file, allowed);
  }
  refuseAuth(user, file);
  return {
    server,
    ...compact({
      ca: fileOrData(base, cluster, 'certificate-authority'),
      token: str(at(user, 'token')),
      tokenFile: str(at(user, 'tokenFile')),
      cert: fileOrData(base, user, 'client-certificate'),
      key: fileOrData(base, user, 'client-key'),
      insecureSkipTlsVerify: at(cluster, 'insecure-skip-tls-verify') === true ? true : undefined,
    }),
  };
}
