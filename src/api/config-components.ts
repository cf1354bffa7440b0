import type { ConfigReader, Section } from './config-read.js';
import { defaultEraserConfig } from './config-defaults.js';
import { readScannerConfig } from './config-scanner.js';
import type {
  ComponentConfig,
  ComponentsConfig,
  ConfigVersion,
  RemoverComponentConfig,
  ResourceSpec,
} from './config-types.js';
import { IMAGE_REPO, IMAGE_TAG } from './names.js';
import { parseQuantity } from './quantity.js';

const CONTAINER_KEYS = ['enabled', 'image', 'request', 'limit'];

// Strict: these sections decide what runs on every node and what it removes, so a misspelt
// key must not leave a default in force. Eraser accepts `config` on every component but only
// the scanner reads it; elsewhere it is ignored here as there.
const COMPONENT_RULES = { strict: true, quiet: ['config'] } as const;
const STRICT = { strict: true } as const;

const REMOVER_ALWAYS_ON =
  'true or unset (the remover cannot be switched off: removing images is what every job does)';

interface ComponentSpec {
  key: string;
  fallback: ComponentConfig;
  keys: readonly string[];
}

/** v1alpha1 called the remover `eraser`; later versions call it `remover`. */
export function componentKeys(version: ConfigVersion): string[] {
  return ['collector', 'scanner', version === 'eraser.sh/v1alpha1' ? 'eraser' : 'remover'];
}

// A zero quantity means "unset" in Eraser's configs (its defaults write `cpu: 0` for no limit).
function readResources(section: Section, fallback: ResourceSpec): ResourceSpec {
  const out: ResourceSpec = {};
  for (const key of ['mem', 'cpu'] as const) {
    const value = section.has(key) ? section.quantity(key) : fallback[key];
    if (value !== undefined && parseQuantity(value) !== 0) out[key] = value;
  }
  return out;
}

/**
 * A request above its limit is an error when the user wrote both. When the request is our
 * default, it is lowered to the limit instead, as Kubernetes does for a limit given alone.
 */
function fitRequestToLimit(reader: ConfigReader, requests: Section, c: ComponentConfig): void {
  for (const key of ['mem', 'cpu'] as const) {
    const request = c.request[key];
    const limit = c.limit[key];
    if (request === undefined || limit === undefined) continue;
    if ((parseQuantity(request) ?? 0) <= (parseQuantity(limit) ?? 0)) continue;
    if (!requests.has(key)) c.request[key] = limit;
    else reader.fail(requests.field(key), request, `at most limit.${key} (${limit})`);
  }
}

function readComponent(
  reader: ConfigReader,
  parent: Section,
  { key, fallback, keys }: ComponentSpec,
): { section: Section; component: ComponentConfig } {
  const section = parent.child(key, keys, COMPONENT_RULES);
  const image = section.child('image', ['repo', 'tag'], STRICT);
  const requests = section.child('request', ['mem', 'cpu'], STRICT);
  const component: ComponentConfig = {
    enabled: section.boolean('enabled', fallback.enabled),
    image: {
      repo: image.string('repo', fallback.image.repo, IMAGE_REPO),
      tag: image.string('tag', fallback.image.tag, IMAGE_TAG),
    },
    request: readResources(requests, fallback.request),
    limit: readResources(section.child('limit', ['mem', 'cpu'], STRICT), fallback.limit),
  };
  fitRequestToLimit(reader, requests, component);
  return { section, component };
}

/**
 * The remover has no switch, so `enabled: false` is refused rather than ignored: the user
 * asked for no removal. `minAge` is eraser's own key.
 */
function readRemover(
  reader: ConfigReader,
  components: Section,
  key: string,
  fallback: RemoverComponentConfig,
): RemoverComponentConfig {
  const keys = [...CONTAINER_KEYS, 'minAge'];
  const { section, component } = readComponent(reader, components, { key, fallback, keys });
  if (!component.enabled) reader.fail(section.field('enabled'), false, REMOVER_ALWAYS_ON);
  const minAgeMs = section.duration('minAge', fallback.minAgeMs);
  if (minAgeMs > MAX_MIN_AGE_MS) {
    // The worker refuses longer ones, so every job would fail on every node.
    reader.fail(section.field('minAge'), section.raw('minAge'), 'a Go duration up to 87600h');
    return { ...component, enabled: true, minAgeMs: fallback.minAgeMs };
  }
  return { ...component, enabled: true, minAgeMs };
}

/** Ten years, as `eraser run --min-age` allows. */
const MAX_MIN_AGE_MS = 87_600 * 3_600_000;

/** Reads `components`, renaming v1alpha1's `eraser` to `remover`. */
export function readComponents(
  reader: ConfigReader,
  components: Section,
  version: ConfigVersion,
): ComponentsConfig {
  const d = defaultEraserConfig().components;
  const [, , removerKey = 'remover'] = componentKeys(version);
  const collector = readComponent(reader, components, {
    key: 'collector',
    fallback: d.collector,
    keys: CONTAINER_KEYS,
  });
  const scanner = readComponent(reader, components, {
    key: 'scanner',
    fallback: d.scanner,
    keys: [...CONTAINER_KEYS, 'config'],
  });
  const config = readScannerConfig(
    reader,
    scanner.section.raw('config'),
    scanner.section.field('config'),
  );
  return {
    collector: collector.component,
    scanner: { ...scanner.component, config },
    remover: readRemover(reader, components, removerKey, d.remover),
  };
}
