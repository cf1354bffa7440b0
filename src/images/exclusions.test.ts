import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import type { RuntimeImage } from '../runtime/types.js';
import {
  compileExclusions,
  ExclusionFileError,
  loadExclusionDir,
  loadExclusionFile,
  MAX_EXCLUSION_FILE_BYTES,
  mergeExclusionLists,
  parseExclusionJson,
} from './exclusions.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

function image(id: string, repoTags: string[], repoDigests: string[] = []): RuntimeImage {
  return { id, repoTags, repoDigests, size: 1, pinned: false };
}

const ALPINE = image(
  d('a'),
  ['docker.io/library/alpine:3.7', 'docker.io/library/alpine:3.20'],
  [`docker.io/library/alpine@${d('1')}`],
);
const ALPINE_DANGLING = image(d('b'), [], [`docker.io/library/alpine@${d('2')}`]);
const ALPINE_EXTRA = image(d('c'), ['docker.io/library/alpine-extra:1']);
const QUAY = image(d('e'), ['quay.io/org/app:v1', 'quay.io/org/team/tool:v2']);
const QUAY_OTHER = image(d('f'), ['quay.io/orgx/app:v1']);
const HUB_ORG = image(d('7'), ['docker.io/myorg/api:2']);
const LOCAL = image(d('8'), ['[::1]:5000/app:v1', 'localhost:5000/app:v1']);
const REDIS = image('9'.repeat(64), ['redis:7']);
const NO_NAMES = image(d('0'), []);

function excludes(rule: string, img: RuntimeImage): string | undefined {
  return compileExclusions([rule], 'test').match(img)?.matched;
}

describe('exclusion rules', () => {
  const cases: readonly [string, RuntimeImage, string | undefined][] = [
    ['alpine:3.7', ALPINE, 'docker.io/library/alpine:3.7'],
    ['docker.io/library/alpine:3.20', ALPINE, 'docker.io/library/alpine:3.20'],
    ['docker.io/alpine:3.20', ALPINE, 'docker.io/library/alpine:3.20'],
    ['alpine:3.8', ALPINE, undefined],
    [d('a'), ALPINE, d('a')],
    ['a'.repeat(64), ALPINE, d('a')],
    ['aaaaaaaaaaaa', ALPINE, d('a')],
    [`alpine@${d('1')}`, ALPINE, `docker.io/library/alpine@${d('1')}`],
    [`alpine:nope@${d('1')}`, ALPINE, `docker.io/library/alpine@${d('1')}`],
    [`alpine:3.7@${d('9')}`, ALPINE, 'docker.io/library/alpine:3.7'],
    [d('1'), ALPINE, `docker.io/library/alpine@${d('1')}`],
    [d('2'), ALPINE, undefined],
    ['alpine', ALPINE, 'docker.io/library/alpine:3.7'],
    ['alpine', ALPINE_DANGLING, `docker.io/library/alpine@${d('2')}`],
    ['alpine', ALPINE_EXTRA, undefined],
    ['alpine:*', ALPINE, 'docker.io/library/alpine:3.7'],
    ['alpine:*', ALPINE_DANGLING, `docker.io/library/alpine@${d('2')}`],
    ['alpine:*', ALPINE_EXTRA, undefined],
    ['docker.io/library/*', ALPINE_EXTRA, 'docker.io/library/alpine-extra:1'],
    ['library/*', ALPINE, 'docker.io/library/alpine:3.7'],
    ['docker.io/library/*', HUB_ORG, undefined],
    ['docker.io/*', HUB_ORG, 'docker.io/myorg/api:2'],
    ['index.docker.io/*', HUB_ORG, 'docker.io/myorg/api:2'],
    ['myorg/*', HUB_ORG, 'docker.io/myorg/api:2'],
    ['quay.io/org/*', QUAY, 'quay.io/org/app:v1'],
    ['quay.io/org/team/*', QUAY, 'quay.io/org/team/tool:v2'],
    ['quay.io/org/*', QUAY_OTHER, undefined],
    ['quay.io/*', QUAY_OTHER, 'quay.io/orgx/app:v1'],
    ['localhost:5000/*', LOCAL, 'localhost:5000/app:v1'],
    ['[::1]:5000/*', LOCAL, '[::1]:5000/app:v1'],
    ['[::1]:5000/app:v1', LOCAL, '[::1]:5000/app:v1'],
    ['[::1]:5000/app:*', LOCAL, '[::1]:5000/app:v1'],
    ['alpine:3.*', ALPINE, 'docker.io/library/alpine:3.7'],
    ['docker.io/library/alpine:3.2?', ALPINE, 'docker.io/library/alpine:3.20'],
    ['alpine:3.[2-9]*', ALPINE, 'docker.io/library/alpine:3.7'],
    ['alpine*', ALPINE_EXTRA, 'docker.io/library/alpine-extra:1'],
    ['*/redis:*', REDIS, 'redis:7'],
    ['**/redis:*', REDIS, 'redis:7'],
    ['quay.io/org/*/tool:*', QUAY, 'quay.io/org/team/tool:v2'],
    ['quay.io/*/app:v1', QUAY_OTHER, 'quay.io/orgx/app:v1'],
    [`alpine@sha256:*`, ALPINE_DANGLING, `docker.io/library/alpine@${d('2')}`],
    ['sha256:aaaa*', ALPINE, d('a')],
    ['redis:7', REDIS, 'redis:7'],
    ['9'.repeat(12), REDIS, REDIS.id],
    ['*', NO_NAMES, NO_NAMES.id],
    ['**', ALPINE, 'docker.io/library/alpine:3.7'],
  ];
  for (const [rule, img, matched] of cases) {
    const verb = matched === undefined ? 'does not exclude' : 'excludes';
    test(`${rule.slice(0, 40)} ${verb} ${img.repoTags[0] ?? img.repoDigests[0] ?? img.id}`, () => {
      assert.equal(excludes(rule, img), matched);
    });
  }

  test('reports the first matching rule with its source', () => {
    const list = mergeExclusionLists([
      compileExclusions(['busybox:1'], 'first.json'),
      compileExclusions(['alpine:*', 'alpine:3.7'], 'second.json'),
    ]);
    assert.deepEqual(list.match(ALPINE), {
      rule: 'alpine:*',
      source: 'second.json',
      matched: 'docker.io/library/alpine:3.7',
    });
    assert.deepEqual(
      list.rules.map((r) => [r.rule, r.kind]),
      [
        ['busybox:1', 'exact'],
        ['alpine:*', 'repository'],
        ['alpine:3.7', 'exact'],
      ],
    );
  });

  test('an empty list excludes nothing', () => {
    assert.equal(compileExclusions([], 'x').match(ALPINE), undefined);
  });

  const invalid: readonly [string, RegExp][] = [
    ['Alpine', /lowercase/],
    ['', /empty/],
    ['alpine:3:*', /without tag before :\*/],
    ['Bad Name/*', /whitespace/],
    ['foo bar*', /whitespace/],
    ['docker://alpine*', /scheme/],
    ['a@sha256:short', /64 lowercase hex/],
    ['quay.io//*', /empty path component/],
  ];
  for (const [rule, reason] of invalid) {
    test(`refuses ${JSON.stringify(rule)} naming the entry and the file`, () => {
      assert.throws(
        () => compileExclusions(['ok:1', rule], 'cm/excluded'),
        (err: unknown) => {
          assert.ok(err instanceof ExclusionFileError);
          assert.equal(err.code, 'EXCLUSION_FILE_INVALID');
          assert.equal(err.context['file'], 'cm/excluded');
          assert.equal(err.context['entry'], rule);
          assert.match(err.message, reason);
          return true;
        },
      );
    });
  }

  test('an entry that equals an image string always excludes that image', () => {
    const names = fc.constantFrom(...[ALPINE, QUAY, LOCAL, REDIS].flatMap(strings));
    fc.assert(
      fc.property(names, (name) => {
        const img = [ALPINE, QUAY, LOCAL, REDIS].find((i) => strings(i).includes(name));
        assert.ok(img !== undefined);
        assert.notEqual(excludes(name, img), undefined);
      }),
    );
  });
});

function strings(img: RuntimeImage): string[] {
  return [img.id, ...img.repoTags, ...img.repoDigests];
}

describe('parseExclusionJson', () => {
  test('reads the excluded array and ignores other keys', () => {
    const list = parseExclusionJson('{"excluded": ["alpine:3.7"], "note": 1}', 'f.json');
    assert.deepEqual(list.match(ALPINE)?.source, 'f.json');
  });

  test('accepts a UTF-8 byte-order mark', () => {
    const list = parseExclusionJson('\uFEFF{"excluded": ["alpine:3.7"]}', 'bom.json');
    assert.equal(list.rules.length, 1);
  });

  const hostile: readonly [string, string, RegExp][] = [
    ['empty text', '', /not valid JSON/],
    ['broken JSON', '{"excluded": [', /not valid JSON/],
    ['a top-level array', '["alpine"]', /holds an array; expected a JSON object/],
    ['a top-level string', '"alpine"', /holds a string/],
    ['null', 'null', /holds null/],
    ['a number', '42', /holds a number/],
    ['no excluded key', '{"exclude": []}', /no "excluded" key/],
    ['excluded as a string', '{"excluded": "alpine"}', /"excluded" as a string/],
    ['excluded as an object', '{"excluded": {"0": "alpine"}}', /"excluded" as an object/],
    ['excluded inherited via __proto__', '{"__proto__": {"excluded": []}}', /no "excluded"/],
    ['a number entry', '{"excluded": ["ok:1", 7]}', /excluded\[1\] is a number/],
    ['a null entry', '{"excluded": [null]}', /excluded\[0\] is null/],
    [
      'a nested array entry',
      `{"excluded": [${'['.repeat(10_000)}${']'.repeat(10_000)}]}`,
      /is an array/,
    ],
    ['deeply nested JSON', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /holds an array/],
  ];
  for (const [what, text, reason] of hostile) {
    test(`refuses ${what} with ExclusionFileError naming the file`, () => {
      assert.throws(
        () => parseExclusionJson(text, 'cm/excluded'),
        (err: unknown) => {
          assert.ok(err instanceof ExclusionFileError);
          assert.equal(err.context['file'], 'cm/excluded');
          assert.match(err.message, reason);
          assert.ok(err.message.startsWith('exclusion file "cm/excluded"'));
          return true;
        },
      );
    });
  }

  test('never throws anything but ExclusionFileError on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, wrap) => {
        const text = JSON.stringify(wrap ? { excluded: value } : value);
        try {
          parseExclusionJson(text, 'fuzz');
        } catch (err: unknown) {
          if (!(err instanceof ExclusionFileError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('loading files and directories', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'eraser-exclusions-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function dir(name: string, files: Record<string, string> = {}): Promise<string> {
    const path = join(root, name);
    await mkdir(path, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(join(path, file), text);
    return path;
  }

  test('reads a mounted ConfigMap through its ..data symlinks, whatever the keys', async () => {
    const cm = await dir('configmap');
    const stamp = '..2024_05_01_10_00_00.1234';
    await dir(`configmap/${stamp}`, {
      excluded: '{"excluded": ["alpine:3.7"]}',
      'more.json': '{"excluded": ["quay.io/org/*"]}',
    });
    await symlink(stamp, join(cm, '..data'));
    await symlink('..data/excluded', join(cm, 'excluded'));
    await symlink('..data/more.json', join(cm, 'more.json'));

    const list = await loadExclusionDir(cm);
    assert.deepEqual(
      list.rules.map((r) => [r.rule, r.source]),
      [
        ['alpine:3.7', join(cm, 'excluded')],
        ['quay.io/org/*', join(cm, 'more.json')],
      ],
    );
  });

  test('merges several files in name order', async () => {
    const path = await dir('several', {
      'b.json': '{"excluded": ["b:1"]}',
      'a.json': '{"excluded": ["a:1"]}',
    });
    const list = await loadExclusionDir(path);
    assert.deepEqual(
      list.rules.map((r) => r.rule),
      ['a:1', 'b:1'],
    );
  });

  test('treats an empty directory as no exclusions', async () => {
    const list = await loadExclusionDir(await dir('empty'));
    assert.deepEqual(list.rules, []);
  });

  test('fails on any file that is not an exclusion document, not dropping it', async () => {
    const path = await dir('stray', { 'a.json': '{"excluded": []}', README: 'hello' });
    await assert.rejects(loadExclusionDir(path), {
      name: 'ExclusionFileError',
      message: /README.*not valid JSON/,
    });
  });

  test('a brace pattern without wildcards is refused as braces, not as a bad name', () => {
    assert.throws(
      () => parseExclusionJson('{"excluded": ["redis:{6,7}"]}', 'braces.json'),
      (err: unknown) => err instanceof ExclusionFileError && /brace expansion/.test(err.message),
    );
  });

  test('fails on a sub-folder, whose rules would otherwise be ignored, naming it', async () => {
    const path = await dir('nestedrules', { 'x.json': '{"excluded": ["x:1"]}' });
    await dir('nestedrules/team', { 'y.json': '{"excluded": ["y:1"]}' });
    await assert.rejects(loadExclusionDir(path), {
      name: 'ExclusionFileError',
      message: /team.*is a folder/,
    });
  });

  test('hidden sub-folders, a symlink loop among them, are left alone', async () => {
    const path = await dir('dirloop', { 'x.json': '{"excluded": ["x:1"]}' });
    await symlink('.', join(path, '.self'));
    await dir('dirloop/.git', { config: 'not json' });
    const list = await loadExclusionDir(path);
    assert.deepEqual(
      list.rules.map((r) => r.rule),
      ['x:1'],
    );
  });

  test('fails on a symlink that loops to itself', async () => {
    const path = await dir('fileloop');
    await symlink('loop', join(path, 'loop'));
    await assert.rejects(loadExclusionDir(path), { name: 'ExclusionFileError', message: /ELOOP/ });
  });

  test('fails on a dangling symlink rather than ignoring an exclusion file', async () => {
    const path = await dir('dangling');
    await symlink('missing.json', join(path, 'gone.json'));
    await assert.rejects(loadExclusionDir(path), { name: 'ExclusionFileError', message: /ENOENT/ });
  });

  test('fails when the directory cannot be listed', async () => {
    const file = join(await dir('notadir', { f: '{}' }), 'f');
    await assert.rejects(loadExclusionDir(file), (err: unknown) => {
      assert.ok(err instanceof ExclusionFileError);
      assert.equal(err.context['file'], file);
      assert.match(err.message, /cannot list the exclusion directory.*ENOTDIR/);
      return true;
    });
    await assert.rejects(loadExclusionDir(join(root, 'missing')), /ENOENT/);
  });

  test('skips a FIFO in the directory without blocking on it', async () => {
    const path = await dir('fifo', { 'a.json': '{"excluded": ["a:1"]}' });
    execFileSync('mkfifo', [join(path, 'pipe')]);
    const list = await loadExclusionDir(path);
    assert.deepEqual(
      list.rules.map((r) => r.rule),
      ['a:1'],
    );
    await assert.rejects(loadExclusionFile(join(path, 'pipe')), /not a regular file/);
  });

  test('accepts a file of exactly the size limit and refuses one byte more', async () => {
    const body = '{"excluded": ["a:1"]}';
    const exact = body + ' '.repeat(MAX_EXCLUSION_FILE_BYTES - body.length);
    const path = await dir('sizes', { 'exact.json': exact, 'over.json': `${exact} ` });
    assert.equal((await loadExclusionFile(join(path, 'exact.json'))).rules.length, 1);
    await assert.rejects(loadExclusionFile(join(path, 'over.json')), {
      name: 'ExclusionFileError',
      message: /larger than 1048576 bytes/,
    });
  });

  test('reads a file with a byte-order mark and refuses invalid UTF-8', async () => {
    const path = await dir('encoding');
    await writeFile(join(path, 'bom.json'), '\uFEFF{"excluded": ["a:1"]}');
    await writeFile(join(path, 'bad.json'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    assert.equal((await loadExclusionFile(join(path, 'bom.json'))).rules.length, 1);
    await assert.rejects(loadExclusionFile(join(path, 'bad.json')), /not valid UTF-8/);
  });

  test('names a missing file in the error', async () => {
    const missing = join(root, 'nope.json');
    await assert.rejects(loadExclusionFile(missing), (err: unknown) => {
      assert.ok(err instanceof ExclusionFileError);
      assert.equal(err.context['file'], missing);
      assert.match(err.message, /cannot open.*ENOENT/);
      return true;
    });
  });
});

describe('exclusion edge cases found by a new user', () => {
  const hexRepo: RuntimeImage = {
    id: 'sha256:' + '1'.repeat(64),
    repoTags: ['docker.io/library/deadbeefcafe:latest', 'docker.io/library/deadbeefcafe:2'],
    repoDigests: [],
    size: 1,
    pinned: false,
  };
  const privateApp: RuntimeImage = {
    id: 'sha256:' + '2'.repeat(64),
    repoTags: ['127.0.0.1:40679/team/app:v1'],
    repoDigests: [],
    size: 1,
    pinned: false,
  };

  test('a hex-only entry excludes the repository of that name and IDs with that prefix', () => {
    assert.equal(compileExclusions(['deadbeefcafe'], 's').match(hexRepo)?.rule, 'deadbeefcafe');
    assert.equal(compileExclusions(['deadbeefcafe:*'], 's').match(hexRepo)?.rule, 'deadbeefcafe:*');
  });

  test('a star in a glob crosses slashes so it matches registry paths', () => {
    for (const rule of ['*app*', '*team*', '*:v1', '127.0.0.1:40679/*']) {
      assert.equal(compileExclusions([rule], 's').match(privateApp)?.rule, rule, rule);
    }
  });

  test('an unclosed bracket is an error naming the entry, not a rule that matches nothing', () => {
    assert.throws(() => compileExclusions(['alpine:['], 'f.json'), /alpine:\[.*malformed|f\.json/);
  });
});

describe('globs and duplicate keys found by a second new user', () => {
  const redis = (tag: string): RuntimeImage => image(d(tag), [`docker.io/library/redis:${tag}`]);

  for (const rule of ['redis:[!6]', 'redis:[^6]']) {
    test(`${rule} excludes every one-character redis tag but 6`, () => {
      const list = parseExclusionJson(JSON.stringify({ excluded: [rule] }), 'x');
      assert.equal(list.match(redis('6')), undefined);
      assert.equal(list.match(redis('5'))?.matched, 'docker.io/library/redis:5');
      assert.equal(list.match(redis('5'))?.source, 'x');
    });
  }

  test('a glob with many stars against a long name finishes and matches nothing', () => {
    const long = image(d('3'), [`registry.example.com/${'a'.repeat(120)}:v1`]);
    const hostile = `${'*a'.repeat(25)}*b`;
    assert.equal(compileExclusions([hostile], 'cm/excluded').match(long), undefined);
    assert.equal(
      compileExclusions(['*a*a*a*a*a*:v1'], 'cm/excluded').match(long)?.rule,
      '*a*a*a*a*a*:v1',
    );
  });

  const malformed: readonly [string, RegExp][] = [
    ['redis:[]', /never closed/],
    ['redis:[z-a]*', /runs backwards/],
    ['alpine:*\\', /escapes nothing/],
    ['redis:{6,7}*', /brace expansion/],
    ['!redis*', /negation/],
  ];
  for (const [rule, reason] of malformed) {
    test(`refuses the malformed glob ${JSON.stringify(rule)} naming it and the file`, () => {
      assert.throws(
        () => parseExclusionJson(JSON.stringify({ excluded: ['ok:1', rule] }), 'cm/excluded'),
        (err: unknown) => {
          assert.ok(err instanceof ExclusionFileError);
          assert.equal(err.context['file'], 'cm/excluded');
          assert.equal(err.context['entry'], rule);
          assert.ok(err.message.startsWith('exclusion file "cm/excluded": glob '));
          assert.match(err.message, /is malformed/);
          assert.match(err.message, reason);
          return true;
        },
      );
    });
  }

  const duplicated: readonly [string, string, string][] = [
    ['the "excluded" key', '{"excluded":["alpine:*"],"excluded":["x"]}', 'excluded'],
    ['an escaped spelling of a key', '{"excluded":[],"\\u0065xcluded":["x"]}', 'excluded'],
    ['a key of a nested object', '{"excluded":["a:1"],"meta":{"o":"x","o":"y"}}', 'o'],
    ['an unrelated top-level key', '{"note":1,"excluded":["a:1"],"note":2}', 'note'],
    ['a key inside an entry', '{"excluded":[{"a":1,"a":2}]}', 'a'],
  ];
  for (const [what, text, key] of duplicated) {
    test(`refuses a file that repeats ${what}, naming the file and the key`, () => {
      assert.throws(
        () => parseExclusionJson(text, 'cm/excluded'),
        (err: unknown) => {
          assert.ok(err instanceof ExclusionFileError);
          assert.equal(err.context['file'], 'cm/excluded');
          assert.ok(err.message.startsWith('exclusion file "cm/excluded": '));
          assert.ok(err.message.includes(`key ${JSON.stringify(key)} twice`), err.message);
          return true;
        },
      );
    });
  }

  test('does not mistake equal keys of separate objects or key-like strings for duplicates', () => {
    const text = JSON.stringify({
      excluded: ['a:1'],
      list: [{ a: 1 }, { a: 2 }],
      nested: { excluded: 'x', inner: { excluded: 'y' } },
      note: '"excluded": ["b:1"], "excluded" : 1',
      words: ['excluded', 'note'],
    });
    assert.deepEqual(
      parseExclusionJson(text, 'f').rules.map((r) => r.rule),
      ['a:1'],
    );
  });

  test('loads any document whose objects have unique keys, however it is spaced', () => {
    const extra = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 });
    fc.assert(
      fc.property(extra, fc.constantFrom(0, 2, '\t'), (other, space) => {
        const text = JSON.stringify({ ...other, excluded: ['a:1'] }, null, space);
        assert.equal(parseExclusionJson(text, 'fuzz').rules.length, 1);
      }),
      { numRuns: 200 },
    );
  });

  test('a directory holding a file with a repeated key loads nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eraser-duplicate-keys-'));
    try {
      await writeFile(join(dir, 'a.json'), '{"excluded": ["alpine:*"]}');
      await writeFile(join(dir, 'b.json'), '{"excluded": ["redis:*"], "excluded": ["x:1"]}');
      await assert.rejects(loadExclusionDir(dir), (err: unknown) => {
        assert.ok(err instanceof ExclusionFileError);
        assert.equal(err.context['file'], join(dir, 'b.json'));
        assert.match(err.message, /key "excluded" twice/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
