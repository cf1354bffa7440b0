import type { ConfigReader, Section } from './config-read.js';
import { defaultEraserConfig } from './config-defaults.js';
import { readScannerConfig } from './config-scanner.js';
import type {
  ComponentConfig,
  ComponentsConfig,
  ConfigVersion,
  ResourceSpec,
} from './config-types.js';
import { IMAGE_REPO, IMAGE_TAG } from './names.js';
import { parseQuantity } from './quantity.js';

const REMOVER_KEYS = ['image', 'request', 'limit'];
const OPTIONAL_KEYS = ['enabled', ...REMOVER_KEYS];

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
  key: string,
  fallback: ComponentConfig,
  keys: string[],
): { section: Section; component: ComponentConfig } {
  const section = parent.child(key, keys);
  const image = section.child('image', ['repo', 'tag']);
  const requests = section.child('request', ['mem', 'cpu']);
  const component: ComponentConfig = {
    // The remover has no switch: removing images is what every job is for.
    enabled: keys.includes('enabled') ? section.boolean('enabled', fallback.enabled) : true,
    image: {
      repo: image.string('repo', fallback.image.repo, IMAGE_REPO),
      tag: image.string('tag', fallback.image.tag, IMAGE_TAG),
    },
    request: readResources(requests, fallback.request),
    limit: readResources(section.child('limit', ['mem', 'cpu']), fallback.limit),
  };
  fitRequestToLimit(reader, requests, component);
  return { section, component };
}

/** Reads `components`, renaming v1alpha1's `eraser` to `remover`. */
export function readComponents(
  reader: ConfigReader,
  components: Section,
  version: ConfigVersion,
): ComponentsConfig {
  const d = defaultEraserConfig().components;
  const [, , removerKey = 'remover'] = componentKeys(version);
  const collector = readComponent(reader, components, 'collector', d.collector, OPTIONAL_KEYS);
  const scanner = readComponent(reader, components, 'scanner', d.scanner, [
    ...OPTIONAL_KEYS,
    'config',
  ]);
  const remover = readComponent(reader, components, removerKey, d.remover, [
    ...REMOVER_KEYS,
    'minAge',
  ]);
  const minAgeMs = remover.section.duration('minAge', d.remover.minAgeMs);
  const config = readScannerConfig(
    reader,
    scanner.section.raw('config'),
    scanner.section.field('config'),
  );
  return {
    collector: collector.component,
    scanner: { ...scanner.component, config },
    remover: { ...remover.component, minAgeMs },
  };
}
