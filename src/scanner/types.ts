import type { Readable } from 'node:stream';

/**
 * One layer blob of an image, as stored (possibly compressed). The source is agnostic: containerd
 * content, an OCI layout on disk or a test fixture all fit.
 */
export interface LayerSource {
  /** Digest of the blob as stored, `sha256:<hex>`; the bytes read are checked against it. */
  readonly digest: string;
  /** OCI or Docker media type; compression is detected from the bytes, this is for reports. */
  readonly mediaType: string;
  /** Opens a fresh stream of the blob from its first byte. */
  open(): Readable;
}

/** An image to inventory: its layers bottom first, and its config JSON. */
export interface ImageSource {
  /** Reference or ID, used in errors, warnings and logs. */
  readonly name: string;
  /** The image config: raw JSON bytes or text, or the parsed value. */
  readonly config?: Uint8Array | string | object;
  readonly layers: readonly LayerSource[];
}

export type Ecosystem = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi';

/** One installed package found in the image. */
export interface Package {
  readonly name: string;
  /** As the package manager writes it (dpkg and rpm include the epoch as `E:`). */
  readonly version: string;
  /** dpkg `Source:`, apk origin, rpm source RPM name. */
  readonly sourceName?: string;
  readonly sourceVersion?: string;
  readonly arch?: string;
  readonly ecosystem: Ecosystem;
  readonly purl: string;
  /** The lowest layer whose copy of the database or manifest lists this package. */
  readonly layerDigest: string;
  /** The file the package was read from, relative to the image root. */
  readonly path: string;
}

export interface OsInfo {
  /** os-release `ID`, e.g. `debian`, `alpine`, `rhel`. */
  readonly family: string;
  /** os-release `PRETTY_NAME` (or `NAME`). */
  readonly name: string;
  /** os-release `VERSION_ID`, empty when the release has none (Debian testing). */
  readonly version: string;
  readonly eol?: { readonly date: string; readonly pastEol: boolean };
}

/** Something that made the inventory incomplete, without making it untrustworthy. */
export interface ScanWarning {
  readonly code: string;
  readonly message: string;
  readonly layer?: string;
  readonly path?: string;
}

export interface LayerSummary {
  readonly digest: string;
  /** Digest of the uncompressed tar, computed while reading. */
  readonly diffId?: string;
  /** Files kept from this layer for the analysers. */
  readonly files: number;
}

export interface Inventory {
  readonly image: string;
  readonly os?: OsInfo;
  readonly packages: readonly Package[];
  readonly layers: readonly LayerSummary[];
  readonly warnings: readonly ScanWarning[];
}
