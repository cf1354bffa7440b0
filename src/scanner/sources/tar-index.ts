/**
 * One pass over a tar file that records where each member's bytes start, so members can later
 * be read by re-opening the file at that range (random access) instead of scanning again.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import tar, { type Extract, type Header } from 'tar-stream';

import { errorMessage } from '../../errors.js';
import { ImageSourceError } from './errors.js';
import { errnoOf, unreadable } from './files.js';

export type MemberType = 'file' | 'symlink' | 'link' | 'directory' | 'other';

export interface TarMember {
  /** Normalised: no leading `./` or `/`, no empty or `.` segments. */
  readonly name: string;
  readonly type: MemberType;
  readonly size: number;
  /** Byte offset of the member's data in the file. */
  readonly offset: number;
  readonly linkname?: string;
}

export interface TarIndex {
  readonly file: string;
  readonly members: ReadonlyMap<string, TarMember>;
  /** Contents of the members asked for in `capture`, read during the pass. */
  readonly captured: ReadonlyMap<string, Buffer>;
}

export interface IndexTarOptions {
  readonly maxEntries: number;
  /** Members to keep in memory, by normalised name, with the most bytes each may have. */
  readonly capture: ReadonlyMap<string, number>;
}

/**
 * A member name made comparable: leading `/` and `./` and `.` segments dropped. Names with a
 * `..` segment give undefined: such members are never looked up.
 */
export function memberName(raw: string): string | undefined {
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..') || parts.length === 0) return undefined;
  return parts.join('/');
}

/** Resolves a symlink target against the link's folder; undefined when it leaves the archive. */
export function linkTarget(member: TarMember): string | undefined {
  const target = member.linkname ?? '';
  if (member.type === 'link') return memberName(target);
  if (target.startsWith('/')) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(member.name), target));
  return joined.startsWith('../') || joined === '..' ? undefined : memberName(joined);
}

const COMPRESSED: readonly { magic: Buffer; kind: string }[] = [
  { magic: Buffer.from([0x1f, 0x8b]), kind: 'gzip' },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), kind: 'zstd' },
];

/** Random access needs the plain tar: a compressed archive is refused with a hint. */
async function checkPlainFile(file: string): Promise<void> {
  let head = Buffer.alloc(0);
  try {
    const handle = await open(file, 'r');
    try {
      if (!(await handle.stat()).isFile()) {
        throw new ImageSourceError('SOURCE_UNREADABLE', `archive ${file} is not a regular file`, {
          archive: file,
        });
      }
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err: unknown) {
    if (err instanceof ImageSourceError) throw err;
    throw unreadable(`archive ${file}`, err, { archive: file, errno: errnoOf(err) });
  }

  const compressed = COMPRESSED.find(({ magic }) => head.subarray(0, magic.length).equals(magic));
  if (compressed !== undefined) {
    throw new ImageSourceError(
      'SOURCE_UNSUPPORTED',
      `archive ${file} is ${compressed.kind}-compressed; decompress it first`,
      { archive: file, compression: compressed.kind },
    );
  }
}

function typeOf(header: Header): MemberType {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    case 'directory':
      return 'directory';
    default:
      return 'other';
  }
}

const BLOCK = 512;

/** What iterating an extract yields (tar-stream does not export the type by name). */
type TarEntry = Extract extends AsyncIterable<infer Entry> ? Entry : never;

/**
 * tar-stream gives each entry the offset of its own header block (after any pax or GNU long-name
 * blocks before it); the data follows that one block.
 */
function toMember(entry: TarEntry): TarMember | undefined {
  const { header } = entry;
  const name = memberName(header.name);
  if (name === undefined) return undefined;
  const base = { name, type: typeOf(header), size: header.size, offset: entry.offset + BLOCK };
  return header.linkname === '' ? base : { ...base, linkname: header.linkname };
}

async function capture(
  entry: AsyncIterable<unknown>,
  limit: number,
  member: TarMember,
  file: string,
): Promise<Buffer> {
  if (member.size > limit) {
    throw new ImageSourceError(
      'SOURCE_TOO_LARGE',
      `${member.name} in archive ${file} is ${member.size} bytes, more than the limit of ${limit}`,
      { archive: file, member: member.name, size: member.size, limit },
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Reads the whole tar once with tar-stream, keeping member positions and captured files. */
export async function indexTar(file: string, options: IndexTarOptions): Promise<TarIndex> {
  await checkPlainFile(file);
  const members = new Map<string, TarMember>();
  const captured = new Map<string, Buffer>();
  const extract = tar.extract();
  const piping = pipeline(createReadStream(file), extract);

  const consuming = (async () => {
    let count = 0;
    for await (const entry of extract) {
      if (++count > options.maxEntries) throw tooManyEntries(file, options.maxEntries);
      const member = toMember(entry);
      const limit = member?.type === 'file' ? options.capture.get(member.name) : undefined;
      if (member !== undefined) members.set(member.name, member);
      if (member !== undefined && limit !== undefined) {
        captured.set(member.name, await capture(entry, limit, member, file));
      } else {
        entry.resume();
      }
    }
  })().catch((err: unknown) => {
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  });

  const [piped, consumed] = await Promise.allSettled([piping, consuming]);
  if (consumed.status === 'rejected') throw asSourceError(consumed.reason, file);
  if (piped.status === 'rejected') throw asSourceError(piped.reason, file);
  return { file, members, captured };
}

function tooManyEntries(file: string, limit: number): ImageSourceError {
  const message = `archive ${file} has more than ${limit} members`;
  return new ImageSourceError('SOURCE_TOO_LARGE', message, { archive: file, limit });
}

function asSourceError(err: unknown, file: string): unknown {
  if (err instanceof ImageSourceError) return err;
  const message = `archive ${file} is not a readable tar file: ${errorMessage(err)}`;
  return new ImageSourceError('SOURCE_UNREADABLE', message, { archive: file }, { cause: err });
}

/** The bytes of one member, read by re-opening the file at the member's range. */
export function openMember(file: string, member: TarMember): Readable {
  if (member.size === 0) return Readable.from([]);
  return createReadStream(file, { start: member.offset, end: member.offset + member.size - 1 });
}
