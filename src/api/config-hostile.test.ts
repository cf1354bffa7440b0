import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';
import { stringify } from 'yaml';

import { ConfigError, MAX_CONFIG_BYTES, loadEraserConfig, parseEraserConfig } from './config.js';

const HEAD = 'apiVersion: eraser.sh/v1alpha3\nkind: EraserConfig\n';

function rejects(text: string, reason: RegExp): void {
  assert.throws(
    () => parseEraserConfig(text),
    (err: unknown) => err instanceof ConfigError && reason.test(err.message),
  );
}

const BOMB = `${HEAD}manager:
  pullSecrets: &a [x, x, x, x, x, x, x, x, x]
  selectors1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  selectors2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  selectors3: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  selectors4: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
`;

describe('EraserConfig parsing of hostile input', () => {
  const cases: [string, string, RegExp][] = [
    ['garbage bytes', '\u0000\u0001\u0002{{{[[[', /expected a mapping/u],
    ['unbalanced brackets', `${HEAD}manager: {runtime: [\n`, /YAML/u],
    ['bad indentation', `${HEAD}manager:\n  a: 1\n b: 2\n`, /YAML/u],
    ['duplicate keys', `${HEAD}manager: {}\nmanager: {}\n`, /unique/u],
    ['two documents in one file', `${HEAD}---\n${HEAD}`, /document/iu],
    ['a YAML bomb of nested aliases', BOMB, /alias/iu],
    [
      'a bomb inside the scanner config string',
      `${HEAD}components:\n  scanner:\n    config: ${JSON.stringify(BOMB)}\n`,
      /alias/iu,
    ],
    ['a mapping that holds itself', `${HEAD}manager: &m {logLevel: *m}\n`, /contains it/u],
    ['a list that holds itself', `${HEAD}manager:\n  pullSecrets: &l [*l]\n`, /contains it/u],
    [
      'a recursive alias inside the scanner config string',
      `${HEAD}components:\n  scanner:\n    config: "timeout: &t {total: *t}"\n`,
      /contains it/u,
    ],
    ['deep nesting', `${HEAD}manager: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, /YAML/u],
    ['a file over the size limit', `${HEAD}#${'x'.repeat(MAX_CONFIG_BYTES)}\n`, /byte limit/u],
    ['an empty file', '', /apiVersion/u],
    ['a list at the top', '- a\n- b\n', /mapping/u],
    ['a number where a mapping belongs', `${HEAD}components: 7\n`, /components: got 7/u],
  ];
  for (const [name, text, reason] of cases) {
    test(`rejects ${name} with a ConfigError`, () => {
      rejects(text, reason);
    });
  }

  test('a __proto__ key neither pollutes prototypes nor becomes a label', () => {
    const text =
      `${HEAD}manager:\n  __proto__: {logLevel: debug}\n` +
      '  additionalPodLabels: {__proto__: x}\n';
    assert.throws(() => parseEraserConfig(text), ConfigError);
    const { config } = parseEraserConfig(`${HEAD}manager:\n  __proto__: {polluted: true}\n`);
    assert.equal(config.manager.logLevel, 'info');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('any mapping of random values yields a config or a ConfigError, nothing else', () => {
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node')),
        fc.dictionary(fc.string(), tie('node')),
      ),
    })).node;
    const keys = ['manager', 'components', 'runtime', 'scheduling', 'scanner', 'config'];
    const doc = fc.dictionary(fc.constantFrom(...keys), value);
    fc.assert(
      fc.property(doc, doc, (manager, components) => {
        const text = HEAD + stringify({ manager, components });
        try {
          parseEraserConfig(text);
        } catch (err: unknown) {
          assert.ok(err instanceof ConfigError, String(err));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('any flow YAML with anchors and aliases yields a config or a ConfigError', () => {
    const key = fc.constantFrom('logLevel', 'pullSecrets', 'nodeFilter', 'type', '__proto__');
    const anchor = fc.constantFrom('', '&a ', '&b ');
    const node = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('x', '1', 'null', '[]', '*a', '*b'),
        fc
          .tuple(anchor, fc.array(tie('node'), { maxLength: 3 }))
          .map(([a, items]) => `${a}[${items.join(', ')}]`),
        fc
          .tuple(anchor, fc.uniqueArray(fc.tuple(key, tie('node')), { selector: ([k]) => k }))
          .map(([a, pairs]) => `${a}{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
      ),
    })).node;
    fc.assert(
      fc.property(node, node, (manager, scanner) => {
        const config = JSON.stringify(`timeout: ${scanner}`);
        const text = `${HEAD}manager: ${manager}\ncomponents: {scanner: {config: ${config}}}\n`;
        try {
          parseEraserConfig(text);
        } catch (err: unknown) {
          assert.ok(err instanceof ConfigError, String(err));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('any string yields a config or a ConfigError, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parseEraserConfig(HEAD + text);
        } catch (err: unknown) {
          assert.ok(err instanceof ConfigError, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('loadEraserConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eraser-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('loads a config file and names the file in errors', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, `${HEAD}manager: {logLevel: debug}\n`);
    assert.equal((await loadEraserConfig(good)).config.manager.logLevel, 'debug');

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, `${HEAD}manager: {logLevel: loud}\n`);
    await assert.rejects(loadEraserConfig(bad), (err: unknown) => {
      return err instanceof ConfigError && err.context['file'] === bad;
    });
  });

  test('refuses a file larger than the limit without reading it all', async () => {
    const huge = join(dir, 'huge.yaml');
    await writeFile(huge, Buffer.alloc(MAX_CONFIG_BYTES * 4, 0x20));
    await assert.rejects(loadEraserConfig(huge), /at most 1048576 bytes/u);
  });

  test('reports a missing file as a ConfigError with the cause', async () => {
    const missing = join(dir, 'missing.yaml');
    await assert.rejects(loadEraserConfig(missing), (err: unknown) => {
      return (
        err instanceof ConfigError && err.cause instanceof Error && /ENOENT/u.test(err.message)
      );
    });
  });
});
