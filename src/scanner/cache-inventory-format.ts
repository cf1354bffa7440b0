/**
 * Payload of an `inventory` cache entry: one image's finished inventory, inside the envelope of
 * cache-format.ts (magic, version, kind, length, sha256). The OS is stored without its EOL
 * verdict, which depends on the time the inventory is used at. Decoding checks every count and
 * code, and builds packages with their fields in canonicalPackage's order, the order a fresh
 * inventory has.
 */
import {
  CacheFormatError,
  PayloadReader,
  PayloadWriter,
  readWarning,
  writeWarning,
} from './cache-format.js';
import type { Mutable } from './inventory.js';
import type { OsRelease } from './os/detect.js';
import type { Ecosystem, Inventory, LayerSummary, Package, ScanWarning } from './types.js';

const ECOSYSTEMS: readonly Ecosystem[] = ['deb', 'apk', 'rpm', 'npm', 'pypi'];
const HAS_SOURCE_NAME = 1;
const HAS_SOURCE_VERSION = 2;
const HAS_ARCH = 4;
const HAS_DIFF_ID = 1;
/** Flags, ecosystem, three length prefixes and two shared string indexes. */
const PACKAGE_MIN_BYTES = 2 + 5 * 4;
/** Flags, a length prefix and the file count. */
const LAYER_MIN_BYTES = 1 + 4 + 8;
/** Flags and two length prefixes. */
const WARNING_MIN_BYTES = 1 + 2 * 4;

/** An inventory as cached: everything but the EOL verdict of its OS. */
export interface StoredInventory {
  readonly image: string;
  readonly os?: OsRelease;
  readonly packages: readonly Package[];
  readonly layers: readonly LayerSummary[];
  readonly warnings: readonly ScanWarning[];
}

/** Serialises an inventory under `key` (what it was built from and with). */
export function encodeInventoryPayload(key: string, inventory: Inventory): Buffer[] {
  const out = new PayloadWriter();
  out.string(key);
  out.string(inventory.image);
  writeOs(out, inventory.os);

  const shared = sharedStrings(inventory.packages);
  out.strings([...shared.keys()]);
  out.u32(inventory.packages.length);
  for (const item of inventory.packages) writePackage(out, item, shared);
  out.u32(inventory.layers.length);
  for (const layer of inventory.layers) writeLayer(out, layer);
  out.u32(inventory.warnings.length);
  for (const warning of inventory.warnings) writeWarning(out, warning);
  return out.finish();
}

/** Parses an inventory payload; throws CacheFormatError on anything it did not write. */
export function decodeInventoryPayload(payload: Buffer): {
  key: string;
  inventory: StoredInventory;
} {
  const input = new PayloadReader(payload);
  const key = input.string();
  const image = input.string();
  const os = readOs(input);

  const shared = input.strings();
  const packages = input.list(PACKAGE_MIN_BYTES, () => readPackage(input, shared));
  const layers = input.list(LAYER_MIN_BYTES, () => readLayer(input));
  const warnings = input.list(WARNING_MIN_BYTES, () => readWarning(input));
  input.end();
  const withOs = os === undefined ? { image } : { image, os };
  return { key, inventory: { ...withOs, packages, layers, warnings } };
}

function writeOs(out: PayloadWriter, os: OsRelease | undefined): void {
  out.u8(os === undefined ? 0 : 1);
  if (os === undefined) return;
  out.string(os.family);
  out.string(os.name);
  out.string(os.version);
}

function readOs(input: PayloadReader): OsRelease | undefined {
  const present = input.u8();
  if (present > 1) throw new CacheFormatError('malformed', `OS flag ${present} unknown`);
  if (present === 0) return undefined;
  return { family: input.string(), name: input.string(), version: input.string() };
}

/**
 * The layer digests and database paths packages name, each once: hundreds of packages share
 * each, so the entry stores an index per package instead of the text.
 */
function sharedStrings(packages: readonly Package[]): Map<string, number> {
  const shared = new Map<string, number>();
  for (const { layerDigest, path } of packages) {
    if (!shared.has(layerDigest)) shared.set(layerDigest, shared.size);
    if (!shared.has(path)) shared.set(path, shared.size);
  }
  return shared;
}

function writePackage(out: PayloadWriter, item: Package, shared: Map<string, number>): void {
  const flags =
    (item.sourceName === undefined ? 0 : HAS_SOURCE_NAME) |
    (item.sourceVersion === undefined ? 0 : HAS_SOURCE_VERSION) |
    (item.arch === undefined ? 0 : HAS_ARCH);
  out.u8(flags);
  out.u8(ECOSYSTEMS.indexOf(item.ecosystem));
  out.string(item.name);
  out.string(item.version);
  out.string(item.purl);
  out.u32(shared.get(item.layerDigest) ?? 0);
  out.u32(shared.get(item.path) ?? 0);
  if (item.sourceName !== undefined) out.string(item.sourceName);
  if (item.sourceVersion !== undefined) out.string(item.sourceVersion);
  if (item.arch !== undefined) out.string(item.arch);
}

function readPackage(input: PayloadReader, shared: readonly string[]): Package {
  const flags = input.u8();
  if (flags > (HAS_SOURCE_NAME | HAS_SOURCE_VERSION | HAS_ARCH)) {
    throw new CacheFormatError('malformed', `package flags ${flags} unknown`);
  }
  const code = input.u8();
  const ecosystem = ECOSYSTEMS[code];
  if (ecosystem === undefined) {
    throw new CacheFormatError('malformed', `ecosystem code ${code} unknown`);
  }

  const name = input.string();
  const version = input.string();
  const purl = input.string();
  const layerDigest = sharedString(input, shared);
  const path = sharedString(input, shared);
  // The order of canonicalPackage, built without spreads: thousands of packages per image.
  const item: Mutable<Package> = { name, version, ecosystem, purl, layerDigest, path };
  if ((flags & HAS_SOURCE_NAME) !== 0) item.sourceName = input.string();
  if ((flags & HAS_SOURCE_VERSION) !== 0) item.sourceVersion = input.string();
  if ((flags & HAS_ARCH) !== 0) item.arch = input.string();
  return item;
}

function sharedString(input: PayloadReader, shared: readonly string[]): string {
  const index = input.u32();
  const value = shared[index];
  if (value === undefined) throw new CacheFormatError('malformed', `string ${index} unknown`);
  return value;
}

function writeLayer(out: PayloadWriter, layer: LayerSummary): void {
  out.u8(layer.diffId === undefined ? 0 : HAS_DIFF_ID);
  out.string(layer.digest);
  if (layer.diffId !== undefined) out.string(layer.diffId);
  out.f64(layer.files);
}

function readLayer(input: PayloadReader): LayerSummary {
  const flags = input.u8();
  if (flags > HAS_DIFF_ID) throw new CacheFormatError('malformed', `layer flags ${flags} unknown`);
  const digest = input.string();
  const diffId = flags === HAS_DIFF_ID ? { diffId: input.string() } : {};
  const files = input.f64();
  if (!Number.isSafeInteger(files) || files < 0) {
    throw new CacheFormatError('malformed', `file count ${files} is not a count`);
  }
  return { digest, ...diffId, files };
}
