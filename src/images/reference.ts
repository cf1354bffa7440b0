/**
 * Image references parsed and normalised the way container runtimes do (the distribution
 * reference grammar plus Docker Hub's defaults), so that `alpine:3.20`, `docker.io/alpine:3.20`
 * and `docker.io/library/alpine:3.20` all name the same thing.
 *
 * Decisions beyond the grammar:
 * - A lowercase hex string of 64 characters is a full image ID; one of
 *   {@link MIN_ID_PREFIX_LENGTH}..63 characters is a short ID (crictl and docker print 12-13).
 *   Shorter hex strings are repository names (`cafe` is `docker.io/library/cafe:latest`).
 * - A bare `sha256:`/`sha384:`/`sha512:` string is always an ID or ID prefix, never the
 *   repository `sha256` with a tag.
 * - The name part (registry/repository after normalisation) may have at most 255 characters.
 * - A first path component with uppercase letters is a registry host, as in distribution
 *   (`Registry/app`), so uppercase is rejected only in the repository path.
 */
import { InvalidReferenceError } from './errors.js';

export { InvalidReferenceError } from './errors.js';

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_REGISTRY = 'index.docker.io';
const OFFICIAL_NAMESPACE = 'library/';
export const DEFAULT_TAG = 'latest';

/** Fewest hex digits accepted as a short image ID. */
export const MIN_ID_PREFIX_LENGTH = 12;
/** Longest name part (registry/repository), as in distribution. */
export const MAX_NAME_LENGTH = 255;
/** Longest input looked at: a maximal name, tag and sha512 digest fit well below it. */
export const MAX_REFERENCE_LENGTH = 1024;

/** Digest algorithms runtimes accept, with the number of hex digits each needs. */
const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

const FULL_ID = /^[a-f0-9]{64}$/;
const ID_PREFIX = new RegExp(`^[a-f0-9]{${MIN_ID_PREFIX_LENGTH},63}$`);
const BARE_DIGEST = /^(sha256|sha384|sha512):/;
const TAG = /^\w[\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u;

/** A repository reference, always with a tag, a digest or both. */
export interface NamedReference {
  readonly kind: 'name';
  /** Registry host and optional port, e.g. `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`. */
  readonly repository: string;
  /** `registry/repository`. */
  readonly name: string;
  readonly tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  readonly digest?: string;
  /** Fully qualified form: `registry/repository[:tag][@digest]`. */
  readonly normalized: string;
}

/** A full image ID (`sha256:<64 hex>`; other algorithms keep their prefix). */
export interface IdReference {
  readonly kind: 'id';
  readonly id: string;
}

/** A short image ID: lowercase hex digits, without the `sha256:` prefix. */
export interface IdPrefixReference {
  readonly kind: 'id-prefix';
  readonly prefix: string;
}

export type ParsedReference = NamedReference | IdReference | IdPrefixReference;

/**
 * Parses a user-written or runtime-reported image reference. Throws
 * {@link InvalidReferenceError} (and nothing else) when the input is not a reference. The
 * ImageList wildcard `*` is not a reference: callers handle it before calling this.
 */
export function parseReference(input: string): ParsedReference {
  rejectUnusable(input);

  if (FULL_ID.test(input)) return { kind: 'id', id: `sha256:${input}` };

  if (ID_PREFIX.test(input)) return { kind: 'id-prefix', prefix: input };

  if (BARE_DIGEST.test(input) && !input.includes('/') && !input.includes('@')) {
    return parseBareDigest(input);
  }

  return parseNamed(input);
}

/** The string that parses back to `ref`: the normalised form, the ID or the ID prefix. */
export function formatReference(ref: ParsedReference): string {
  switch (ref.kind) {
    case 'name':
      return ref.normalized;
    case 'id':
      return ref.id;
    case 'id-prefix':
      return ref.prefix;
  }
}

/**
 * The shortest form that parses back to the same reference, for reports: Docker Hub's
 * `docker.io/` and `library/` are dropped (`alpine:3.20`, `bitnami/redis:7`).
 */
export function familiarName(ref: ParsedReference): string {
  if (ref.kind !== 'name') return formatReference(ref);

  let out = familiarRepository(ref.registry, ref.repository);
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** `registry/repository` without Docker Hub's defaults, when dropping them stays unambiguous. */
export function familiarRepository(registry: string, repository: string): string {
  if (registry !== DEFAULT_REGISTRY) return `${registry}/${repository}`;

  const slash = repository.indexOf('/');
  const first = slash < 0 ? repository : repository.slice(0, slash);
  // `docker.io/example.com/app` shortened would name the registry example.com.
  if (first === 'localhost' || /[.:]/.test(first)) return `${registry}/${repository}`;

  const rest = repository.slice(OFFICIAL_NAMESPACE.length);
  const official = repository.startsWith(OFFICIAL_NAMESPACE) && !rest.includes('/');
  // `sha256:…` alone would read as a digest, so that repository keeps its namespace.
  return official && !DIGEST_HEX_LENGTHS.has(rest) ? rest : repository;
}

/** True when the text is a digest runtimes accept (`sha256:` + 64 lowercase hex, …). */
export function isDigest(text: string): boolean {
  return digestProblem(text) === undefined;
}

function rejectUnusable(input: string): void {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(input, reason);
  };

  if (input === '') fail('empty string; expected a name like alpine:3.20 or an image ID');
  if (input.length > MAX_REFERENCE_LENGTH) {
    fail(`longer than ${MAX_REFERENCE_LENGTH} characters`);
  }
  if (WHITESPACE_OR_CONTROL.test(input)) fail('contains whitespace or control characters');
  if (input.includes('://')) fail('a URL scheme (like docker://) is not part of a reference');
}

function parseBareDigest(input: string): ParsedReference {
  const hex = input.slice(input.indexOf(':') + 1);
  if (input.startsWith('sha256:') && ID_PREFIX.test(hex)) {
    return { kind: 'id-prefix', prefix: hex };
  }

  const problem = digestProblem(input);
  if (problem !== undefined) throw new InvalidReferenceError(input, problem);
  return { kind: 'id', id: input };
}

function parseNamed(input: string): NamedReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(input, reason);
  };
  const { rest, digest } = splitDigest(input, fail);
  const { name, tag } = splitTag(rest, fail);
  const { registry, repository } = splitRegistry(name);

  const problem = registryProblem(registry) ?? repositoryProblem(repository);
  if (problem !== undefined) fail(problem);

  const fullName = `${registry}/${repository}`;
  if (fullName.length > MAX_NAME_LENGTH) {
    fail(`name ${fullName.slice(0, 40)}… has more than ${MAX_NAME_LENGTH} characters`);
  }

  return buildNamed(registry, repository, tag ?? (digest ? undefined : DEFAULT_TAG), digest);
}

function buildNamed(
  registry: string,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
): NamedReference {
  const name = `${registry}/${repository}`;
  let normalized = name;
  if (tag !== undefined) normalized += `:${tag}`;
  if (digest !== undefined) normalized += `@${digest}`;

  return {
    kind: 'name',
    registry,
    repository,
    name,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    normalized,
  };
}

function splitDigest(
  input: string,
  fail: (reason: string) => never,
): { rest: string; digest: string | undefined } {
  const at = input.indexOf('@');
  if (at < 0) return { rest: input, digest: undefined };

  const digest = input.slice(at + 1);
  if (digest === '') fail("ends with '@'; expected a digest like sha256:<64 hex> after it");
  const problem = digestProblem(digest);
  if (problem !== undefined) fail(problem);
  return { rest: input.slice(0, at), digest };
}

function splitTag(
  rest: string,
  fail: (reason: string) => never,
): { name: string; tag: string | undefined } {
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port (`localhost:5000/app`).
  if (colon < 0 || colon < rest.lastIndexOf('/')) return { name: rest, tag: undefined };

  const tag = rest.slice(colon + 1);
  if (tag === '') fail("ends with ':'; expected a tag after it");
  if (tag.length > 128) fail(`tag has ${tag.length} characters; at most 128 are allowed`);
  if (!TAG.test(tag)) {
    fail(`tag ${JSON.stringify(tag)} must start with a letter, digit or _ and hold only [\\w.-]`);
  }
  return { name: rest.slice(0, colon), tag };
}

/**
 * Splits a name (no tag, no digest) into registry and repository with Docker Hub's defaults:
 * the first component is a registry when it holds `.` or `:`, is `localhost`, or has uppercase
 * letters; Docker Hub names of one component get the `library/` namespace.
 */
export function splitRegistry(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { registry: DEFAULT_REGISTRY, repository: OFFICIAL_NAMESPACE + name };

  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  const isHost = first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first;
  const registry = !isHost
    ? DEFAULT_REGISTRY
    : first === LEGACY_REGISTRY
      ? DEFAULT_REGISTRY
      : first;
  const repository = isHost ? rest : name;

  const needsNamespace = registry === DEFAULT_REGISTRY && !repository.includes('/');
  return { registry, repository: needsNamespace ? OFFICIAL_NAMESPACE + repository : repository };
}

function registryProblem(registry: string): string | undefined {
  const { host, port } = splitHostPort(registry);
  if (port !== undefined && !PORT.test(port)) {
    return `registry ${registry}: port must be decimal digits`;
  }

  if (host.startsWith('[')) {
    return IPV6_HOST.test(host) ? undefined : `registry ${registry}: bad IPv6 address`;
  }

  const bad = host.split('.').find((c) => !DOMAIN_COMPONENT.test(c));
  if (bad === undefined) return undefined;
  return bad === ''
    ? `registry ${JSON.stringify(registry)} has an empty host component`
    : `registry host component ${JSON.stringify(bad)} must be letters, digits and inner '-'`;
}

function splitHostPort(registry: string): { host: string; port: string | undefined } {
  const close = registry.startsWith('[') ? registry.indexOf(']') : -1;
  if (registry.startsWith('[') && close < 0) return { host: registry, port: undefined };
  const colon = registry.indexOf(':', close + 1);
  if (colon < 0) return { host: registry, port: undefined };
  return { host: registry.slice(0, colon), port: registry.slice(colon + 1) };
}

function repositoryProblem(repository: string): string | undefined {
  for (const component of repository.split('/')) {
    if (component === '') return 'empty path component (leading, trailing or double /)';
    if (PATH_COMPONENT.test(component)) continue;
    if (PATH_COMPONENT.test(component.toLowerCase())) {
      return `repository path ${JSON.stringify(repository)} must be lowercase`;
    }
    return (
      `path component ${JSON.stringify(component)} must be lowercase letters and digits ` +
      "joined by '.', '_', '__' or dashes"
    );
  }
  return undefined;
}

function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? digest : digest.slice(0, colon);
  const hex = colon < 0 ? '' : digest.slice(colon + 1);
  if (colon < 0) return `digest ${JSON.stringify(digest)} must be algorithm:hex`;

  const length = DIGEST_HEX_LENGTHS.get(algorithm);
  if (length === undefined) {
    return `unsupported digest algorithm ${JSON.stringify(algorithm)}; use sha256, sha384, sha512`;
  }
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    return `${algorithm} digest must be ${length} lowercase hex digits (got ${hex.length} chars)`;
  }
  return undefined;
}
