/**
 * Payload of an `inventory` cache entry: one image's finished inventory, inside the envelope of
 * cache-format.ts (magic, version, kind, length, sha256). The head holds the key, the image
 * name, the OS (without its EOL verdict, which depends on the time the inventory is used at),
 * the strings packages share and the text of their own fields; the body the packages, layers
 * and warnings. Decoding checks every count, code, index and length, and builds packages with
 * their fields in canonicalPackage's order, the order a fresh inventory has.
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
  const shared = sharedStrings(inventory.packages);
  const text = new TextWriter();
  const body = new PayloadWriter();
  body.u32(inventory.packages.length);
  for (const item of inventory.packages) writePackage(body, item, shared, text);
  body.u32(inventory.layers.length);
  for (const layer of inventory.layers) writeLayer(body, layer);
  body.u32(inventory.warnings.length);
  for (const warning of inventory.warnings) writeWarning(body, warning);

  const head = new PayloadWriter();
  head.string(key);
  head.string(inventory.image);
  writeOs(head, inventory.os);
  head.strings([...shared.keys()]);
  head.string(text.joined());
  return [...head.finish(), ...body.finish()];
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
  const text = new TextReader(input.string(), input);
  const packages = input.list(PACKAGE_MIN_BYTES, () => readPackage(input, shared, text));
  const layers = input.list(LAYER_MIN_BYTES, () => readLayer(input));
  const warnings = input.list(WARNING_MIN_BYTES, () => readWarning(input));
  input.end();
  text.end();
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

/**
 * The package fields unique to each package (name, version, purl...) are kept apart as one
 * text, each field a length in UTF-16 units in the body: one UTF-8 decode per entry, then
 * slices, costs far less than a decode per field.
 */
class TextWriter {
  private readonly parts: string[] = [];

  add(out: PayloadWriter, value: string): void {
    out.u32(value.length);
    this.parts.push(value);
  }

  joined(): string {
    return this.parts.join('');
  }
}

class TextReader {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly input: PayloadReader,
  ) {}

  next(): string {
    const length = this.input.u32();
    if (length > this.text.length - this.at) {
      throw new CacheFormatError('malformed', `text field of ${length} passes the text's end`);
    }
    const start = this.at;
    this.at += length;
    return this.text.slice(start, this.at);
  }

  end(): void {
    if (this.at !== this.text.length) {
      throw new CacheFormatError('malformed', `${this.text.length - this.at} text left over`);
    }
  }
}

function writePackage(
  out: PayloadWriter,
  item: Package,
  shared: Map<string, number>,
  text: TextWriter,
): void {
  const flags =
    (item.sourceName === undefined ? 0 : HAS_SOURCE_NAME) |
    (item.sourceVersion === undefined ? 0 : HAS_SOURCE_VERSION) |
    (item.arch === undefined ? 0 : HAS_ARCH);
  out.u8(flags);
  out.u8(ECOSYSTEMS.indexOf(item.ecosystem));
  text.add(out, item.name);
  text.add(out, item.version);
  text.add(out, item.purl);
  out.u32(shared.get(item.layerDigest) ?? 0);
  out.u32(shared.get(item.path) ?? 0);
  if (item.sourceName !== undefined) text.add(out, item.sourceName);
  if (item.sourceVersion !== undefined) text.add(out, item.sourceVersion);
  if (item.arch !== undefined) text.add(out, item.arch);
}

function readPackage(input: PayloadReader, shared: readonly string[], text: TextReader): Package {
  const flags = input.u8();
  if (flags > (HAS_SOURCE_NAME | HAS_SOURCE_VERSION | HAS_ARCH)) {
    throw new CacheFormatError('malformed', `package flags ${flags} unknown`);
  }
  const code = input.u8();
  const ecosystem = ECOSYSTEMS[code];
  if (ecosystem === undefined) {
    throw new CacheFormatError('malformed', `ecosystem code ${code} unknown`);
  }

  const name = text.next();
  const version = text.next();
  const purl = text.next();
  const layerDigest = sharedString(input, shared);
  const path = sharedString(input, shared);
  // The order of canonicalPackage, built without spreads: thousands of packages per image.
  const item: Mutable<Package> = { name, version, ecosystem, purl, layerDigest, path };
  if ((flags & HAS_SOURCE_NAME) !== 0) item.sourceName = text.next();
  if ((flags & HAS_SOURCE_VERSION) !== 0) item.sourceVersion = text.next();
  if ((flags & HAS_ARCH) !== 0) item.arch = text.next();
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
