/**
 * Sample images for bench/trivy-compare.ts, beside the generated bench layout (which holds
 * synthetic dpkg, npm and Python packages only):
 *   - samples/debian-host: this machine's own os-release, dpkg status and file lists, the
 *     metadata of its system Python packages (also copied to where pip installs), and the
 *     package.json files of this repository's node_modules (real files, so the result depends
 *     on the machine);
 *   - samples/alpine: an apk database written here, with packages owning Python and npm files,
 *     and a later layer where pip replaced a package of an earlier one;
 *   - samples/rocky-rpm: an rpmdb written by the real `rpm` from packages `rpmbuild` makes here,
 *     a signing key among them when gpg is present (skipped, with a note, without rpm).
 * Only local tools and files are used; nothing is fetched.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  imageOf,
  indexEntry,
  layerBlob,
  writeLayout,
  type Blob,
  type LayerBlob,
} from '../src/scanner/sources/testing/fixtures.js';
import type { TarEntry } from '../src/scanner/testing/layers.js';

const run = promisify(execFile);
const PYTHON_DIST = '/usr/lib/python3/dist-packages';

async function readOptional(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch(() => undefined);
}

/** `dest` with the contents of `source`, when that file exists. */
async function copied(source: string, dest: string): Promise<TarEntry[]> {
  const content = await readOptional(source);
  return content === undefined ? [] : [{ path: dest, content }];
}

/** The metadata files of installed Python distributions: dist-info, egg-info dirs and files. */
async function pythonMetadata(dir: string): Promise<TarEntry[]> {
  const names = await readdir(dir).catch(() => []);
  const entries: TarEntry[][] = [];
  for (const name of names.sort()) {
    const prefix = `${dir.slice(1)}/${name}`;
    if (name.endsWith('.dist-info')) {
      entries.push(await copied(join(dir, name, 'METADATA'), `${prefix}/METADATA`));
    }
    if (!name.endsWith('.egg-info')) continue;
    const isDir = (await stat(join(dir, name))).isDirectory();
    const source = isDir ? join(dir, name, 'PKG-INFO') : join(dir, name);
    entries.push(await copied(source, isDir ? `${prefix}/PKG-INFO` : prefix));
  }
  return entries.flat();
}

/** Every package.json under a node_modules folder, placed under `prefix`. */
async function nodeManifests(modules: string, prefix: string): Promise<TarEntry[]> {
  const names = await readdir(modules, { recursive: true });
  const manifests = names.filter(
    (name) => name === 'package.json' || name.endsWith('/package.json'),
  );
  const entries = await Promise.all(
    manifests.sort().map((name) => copied(join(modules, name), `${prefix}/${name}`)),
  );
  return entries.flat();
}

async function dpkgLists(): Promise<TarEntry[]> {
  const dir = '/var/lib/dpkg/info';
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.list'));
  const entries = await Promise.all(
    names.sort().map((name) => copied(join(dir, name), `var/lib/dpkg/info/${name}`)),
  );
  return entries.flat();
}

/**
 * Layers of the host sample: the OS with its Python packages (owned by dpkg), then an app layer
 * with the node_modules tree and the same Python metadata where pip would have put it, owned by
 * no OS package, so that both tools have to read every metadata file.
 */
async function hostDebian(root: string): Promise<TarEntry[][]> {
  const python = await pythonMetadata(PYTHON_DIST);
  const os = [
    ...(await copied('/etc/os-release', 'etc/os-release')),
    ...(await copied('/etc/debian_version', 'etc/debian_version')),
    ...(await copied('/var/lib/dpkg/status', 'var/lib/dpkg/status')),
    ...(await dpkgLists()),
    ...python,
  ];
  const local = 'usr/local/lib/python3.11/dist-packages';
  const pip = python.map((entry) => ({
    ...entry,
    path: entry.path.replace(PYTHON_DIST.slice(1), local),
  }));
  const app = await nodeManifests(join(root, 'node_modules'), 'srv/eraser/node_modules');
  return [os, [...app, ...pip]];
}

interface ApkPackage {
  readonly name: string;
  readonly version: string;
  readonly origin: string;
  /** Folder → file names the package installed there. */
  readonly files?: Readonly<Record<string, readonly string[]>>;
}

/** One stanza of `lib/apk/db/installed` (wiki.alpinelinux.org, "Apk spec"). */
function apkStanza(pkg: ApkPackage): string {
  const owned = Object.entries(pkg.files ?? {}).flatMap(([dir, files]) => [
    `F:${dir}`,
    ...files.map((file) => `R:${file}`),
  ]);
  const head = [`P:${pkg.name}`, `V:${pkg.version}`, 'A:x86_64', `o:${pkg.origin}`];
  return [...head, 'L:MIT', `T:${pkg.name} for the comparison`, ...owned, ''].join('\n');
}

const SITE = 'usr/lib/python3.12/site-packages';

const APK_PACKAGES: readonly ApkPackage[] = [
  { name: 'musl', version: '1.2.5-r0', origin: 'musl', files: { lib: ['ld-musl-x86_64.so.1'] } },
  { name: 'busybox', version: '1.36.1-r29', origin: 'busybox' },
  { name: 'ca-certificates-bundle', version: '20240705-r0', origin: 'ca-certificates' },
  { name: 'libcrypto3', version: '3.3.2-r0', origin: 'openssl' },
  { name: 'libssl3', version: '3.3.2-r0', origin: 'openssl' },
  {
    name: 'py3-six',
    version: '1.16.0-r9',
    origin: 'py3-six',
    files: { [`${SITE}/six-1.16.0.dist-info`]: ['METADATA'] },
  },
  {
    name: 'npm',
    version: '10.8.0-r0',
    origin: 'npm',
    files: { 'usr/lib/node_modules/npm': ['package.json'] },
  },
];

function pythonFile(name: string, version: string): TarEntry {
  const content = `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n\nA description.\n`;
  return { path: `${SITE}/${name}-${version}.dist-info/METADATA`, content };
}

/** Alpine 3.20: apk-owned six and npm, pip's requests 2.31.0 replaced by 2.32.3 a layer later. */
function alpine(): TarEntry[][] {
  const base: TarEntry[] = [
    { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n' },
    { path: 'etc/alpine-release', content: '3.20.3\n' },
    { path: 'lib/apk/db/installed', content: APK_PACKAGES.map(apkStanza).join('\n') },
    pythonFile('six', '1.16.0'),
    { path: 'usr/lib/node_modules/npm/package.json', content: '{"name":"npm","version":"10.8.0"}' },
    pythonFile('requests', '2.31.0'),
  ];
  const upgrade: TarEntry[] = [
    { path: `${SITE}/.wh.requests-2.31.0.dist-info` },
    pythonFile('requests', '2.32.3'),
  ];
  return [base, upgrade];
}

/** A spec file's preamble fields, and what follows its main %description. */
interface RpmSpec {
  readonly name: string;
  readonly head: string;
  readonly tail: string;
}

const SIX_DIR = '/usr/lib/python3.9/site-packages/six-1.15.0.dist-info';
const SIX_METADATA = 'Metadata-Version: 2.1\nName: six\nVersion: 1.15.0\n';

const RPM_SPECS: readonly RpmSpec[] = [
  {
    name: 'openssl',
    head: 'Name: openssl\nEpoch: 1\nVersion: 3.0.7\nRelease: 27.el9\n',
    tail: '%package libs\nSummary: s\n%description libs\nd\n%files libs\n',
  },
  { name: 'bash', head: 'Name: bash\nVersion: 5.1.8\nRelease: 9.el9\n', tail: '%files\n' },
  {
    name: 'tzdata',
    head: 'Name: tzdata\nVersion: 2024a\nRelease: 1.el9\nBuildArch: noarch\n',
    tail: '%files\n',
  },
  {
    name: 'python-six',
    head: 'Name: python-six\nVersion: 1.15.0\nRelease: 9.el9\nBuildArch: noarch\n',
    tail: [
      '%package -n python3-six\nSummary: s\n%description -n python3-six\nd',
      `%install\nmkdir -p %{buildroot}${SIX_DIR}`,
      `printf '${SIX_METADATA.replace(/\n/g, '\\n')}' > %{buildroot}${SIX_DIR}/METADATA`,
      `%files -n python3-six\n${SIX_DIR}/METADATA\n`,
    ].join('\n'),
  },
];

/** Rocky's own vendor string, which Trivy needs before it counts a package's files as the OS's. */
function specText(spec: RpmSpec): string {
  const preamble = 'Summary: s\nLicense: MIT\nVendor: Rocky Enterprise Software Foundation\n';
  return `${spec.head}${preamble}%description\nd\n${spec.tail}`;
}

async function buildRpms(dir: string): Promise<string[]> {
  const top = join(dir, 'rpmbuild');
  await mkdir(join(top, 'tmp'), { recursive: true });
  const defines = [`_topdir ${top}`, `_tmppath ${top}/tmp`, 'debug_package %{nil}'];
  defines.push('__os_install_post %{nil}', '__spec_install_post %{nil}');
  for (const spec of RPM_SPECS) {
    const file = join(top, `${spec.name}.spec`);
    await writeFile(file, specText(spec));
    const flags = defines.flatMap((define) => ['--define', define]);
    await run('rpmbuild', [...flags, '--target', 'x86_64', '--quiet', '-bb', file]);
  }
  const built = await readdir(join(top, 'RPMS'), { recursive: true });
  return built.filter((name) => name.endsWith('.rpm')).map((name) => join(top, 'RPMS', name));
}

/** Imports a fresh signing key, which rpm stores as the pseudo-package gpg-pubkey. */
async function importKey(dir: string, db: string): Promise<boolean> {
  const home = join(dir, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const gpg = ['--homedir', home, '--batch', '--passphrase', ''];
  try {
    await run('gpg', [
      ...gpg,
      '--quick-gen-key',
      'Bench <bench@example.org>',
      'ed25519',
      'sign',
      'never',
    ]);
    const { stdout } = await run('gpg', [...gpg, '--armor', '--export']);
    await writeFile(join(dir, 'key.asc'), stdout);
    await run('rpm', ['--dbpath', db, '--import', join(dir, 'key.asc')]);
    return true;
  } catch {
    return false;
  }
}

/** An rpmdb.sqlite written by rpm itself, or a note saying why there is none. */
async function rpmDatabase(dir: string): Promise<{ db?: Buffer; note: string }> {
  const db = join(dir, 'rpmdb');
  try {
    const rpms = await buildRpms(dir);
    await run('rpm', ['--dbpath', db, '--initdb']);
    const install = ['-i', '--justdb', '--nodeps', '--ignorearch', '--ignoreos', '--noscripts'];
    await run('rpm', ['--dbpath', db, ...install, ...rpms]);
    const key = await importKey(dir, db);
    const { stdout } = await run('rpm', ['--dbpath', db, '-qa', '--qf', '%{NEVRA}\\n']);
    const listed = stdout.trim().split('\n').sort().join(', ');
    const note = `rocky-rpm: rpm -qa lists ${listed}${key ? '' : ' (gpg missing: no key)'}`;
    return { db: await readFile(join(db, 'rpmdb.sqlite')), note };
  } catch (err: unknown) {
    return { note: `rocky-rpm skipped: rpm or rpmbuild failed (${String(err).slice(0, 200)})` };
  }
}

function rocky(db: Buffer): TarEntry[][] {
  const release = 'Rocky Linux release 9.4 (Blue Onyx)\n';
  const osRelease =
    'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n';
  return [
    [
      { path: 'etc/os-release', content: osRelease },
      { path: 'etc/redhat-release', content: release },
      { path: 'etc/rocky-release', content: release },
      { path: 'var/lib/rpm/rpmdb.sqlite', content: db },
      { path: `${SIX_DIR.slice(1)}/METADATA`, content: SIX_METADATA },
    ],
  ];
}

/** Writes the sample layout into `dir` (work files in `scratch`); returns notes to print. */
export async function writeSamples(dir: string, scratch: string, root: string): Promise<string[]> {
  const images: [string, TarEntry[][]][] = [
    ['samples/debian-host:1', await hostDebian(root)],
    ['samples/alpine:3.20', alpine()],
  ];
  const rpm = await rpmDatabase(scratch);
  if (rpm.db !== undefined) images.push(['samples/rocky-rpm:9', rocky(rpm.db)]);

  const blobs: Blob[] = [];
  const manifests = [];
  for (const [name, layers] of images) {
    const built: LayerBlob[] = await Promise.all(layers.map((entries) => layerBlob(entries)));
    const image = imageOf(built);
    blobs.push(...image.blobs);
    manifests.push(...indexEntry(image.manifest, { names: [name] }));
  }
  await writeLayout(dir, blobs, manifests);
  return [rpm.note];
}
