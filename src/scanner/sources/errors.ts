import { EraserError } from '../../errors.js';

/**
 * Stable codes of failures to find or read an image before its layers are scanned. Each aborts
 * that one image; `context` names the image and, where one is involved, the blob or path.
 */
export type SourceErrorCode =
  /** No image by that name, digest or ID in the source. */
  | 'SOURCE_NOT_FOUND'
  /** Several images match and none was chosen. */
  | 'SOURCE_AMBIGUOUS'
  /** A blob the image needs is not in the store (never pulled, discarded, deleted). */
  | 'SOURCE_BLOB_MISSING'
  /** A blob's bytes do not hash to its digest, or its size is not the descriptor's. */
  | 'SOURCE_DIGEST_MISMATCH'
  /** An index, manifest, config or archive metadata file is malformed. */
  | 'SOURCE_BAD_MANIFEST'
  /** An index has no manifest for the wanted platform. */
  | 'SOURCE_NO_PLATFORM'
  /** A manifest or metadata file passes a size or count limit. */
  | 'SOURCE_TOO_LARGE'
  /** A path in archive metadata or a link in the archive leaves the archive. */
  | 'SOURCE_UNSAFE_PATH'
  /** Something valid that cannot be inventoried: artifacts, encrypted layers, schema 1. */
  | 'SOURCE_UNSUPPORTED'
  /** The layout folder or archive file itself cannot be read. */
  | 'SOURCE_UNREADABLE';

/** A failure to resolve or read an image from containerd, an OCI layout or a docker archive. */
export class ImageSourceError extends EraserError {
  declare readonly code: SourceErrorCode;

  constructor(
    code: SourceErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, context, options);
  }
}
