import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ParseError } from '../errors.js';
import { npmAnalyzer, npmPurl, parseNpmManifest } from './npm.js';
import { formatPurl, normalisePypiName } from './purl.js';
import { parsePythonMetadata, pythonAnalyzer } from './python.js';

describe('npm manifests', () => {
  test('selects package.json files directly inside a node_modules package folder', () => {
    const wanted = [
      'usr/lib/node_modules/npm/package.json',
      'app/node_modules/@types/node/package.json',
      'app/node_modules/a/node_modules/b/package.json',
    ];
    const unwanted = [
      'app/package.json',
      'app/node_modules/a/lib/package.json',
      'node_modules/@scope/package.json',
    ];
    assert.deepEqual(wanted.map(npmAnalyzer.wants), [true, true, true]);
    assert.deepEqual(unwanted.map(npmAnalyzer.wants), [false, false, false]);
  });

  test('reads name and version and ignores manifests lacking either', () => {
    assert.deepEqual(parseNpmManifest(Buffer.from('{"name":"@types/node","version":"20.1.0"}')), [
      { name: '@types/node', version: '20.1.0' },
    ]);
    assert.deepEqual(parseNpmManifest(Buffer.from('{"name":"x"}')), []);
    assert.throws(() => parseNpmManifest(Buffer.from('{')), ParseError);
    assert.throws(() => parseNpmManifest(Buffer.from('[]')), ParseError);
  });

  test('encodes the scope of scoped packages in the purl namespace', () => {
    assert.equal(
      npmPurl({ name: '@types/node', version: '20.1.0' }),
      'pkg:npm/%40types/node@20.1.0',
    );
    assert.equal(npmPurl({ name: 'lodash', version: '4.17.21' }), 'pkg:npm/lodash@4.17.21');
  });

  test('random bytes give a record list or a ParseError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        try {
          parseNpmManifest(Buffer.from(text));
        } catch (err: unknown) {
          assert.ok(err instanceof ParseError, String(err));
        }
      }),
    );
  });
});

describe('Python metadata', () => {
  test('selects dist-info METADATA and egg-info PKG-INFO files', () => {
    const paths = [
      'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA',
      'site-packages/Flask_Cors-4.0.egg-info/PKG-INFO',
      'site-packages/x.dist-info/RECORD',
      'usr/lib/python3/dist-packages/crit-3.17.1.egg-info',
      'site-packages/x.egg-info/SOURCES.txt',
    ];
    assert.deepEqual(paths.map(pythonAnalyzer.wants), [true, true, false, true, false]);
  });

  test('a line of only blanks inside a folded field continues it', () => {
    const text =
      'Metadata-Version: 1.1\nName: toml\nVersion: 0.10.2\nDescription: TOML\n' +
      '        \n        A parser.\n        \nPlatform: UNKNOWN\n';
    assert.deepEqual(parsePythonMetadata(Buffer.from(text)), [{ name: 'toml', version: '0.10.2' }]);
  });

  test('reads Name and Version from the header and normalises the name', () => {
    const text = 'Metadata-Version: 2.1\nName: Flask_Cors\nVersion: 4.0.0\n\nName: not-this\n';
    assert.deepEqual(parsePythonMetadata(Buffer.from(text)), [
      { name: 'flask-cors', version: '4.0.0' },
    ]);
    assert.deepEqual(parsePythonMetadata(Buffer.from('Metadata-Version: 2.1\n')), []);
  });

  test('any text gives a record list or a ParseError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parsePythonMetadata(Buffer.from(`Name: a\nVersion: 1\n${text}`));
        } catch (err: unknown) {
          assert.ok(err instanceof ParseError, String(err));
        }
      }),
    );
  });
});

const codeUnit = fc.nat(0xffff).map((c) => String.fromCharCode(c));

describe('purls', () => {
  test('sort qualifiers, drop empty ones and percent-encode components', () => {
    const purl = formatPurl({
      type: 'deb',
      namespace: 'debian',
      name: 'a+b',
      version: '1:2.0~rc1',
      qualifiers: { distro: 'debian-12', arch: 'amd64', empty: '', missing: undefined },
    });
    assert.equal(purl, 'pkg:deb/debian/a%2Bb@1:2.0~rc1?arch=amd64&distro=debian-12');
  });

  test('a lone surrogate in a name or version becomes U+FFFD instead of throwing', () => {
    const purl = formatPurl({ type: 'npm', name: 'a\ud800b', version: '1.0.0-\udc00' });
    assert.equal(purl, 'pkg:npm/a%EF%BF%BDb@1.0.0-%EF%BF%BD');
  });

  test('any string forms a purl, and a well-formed pair of surrogates is kept', () => {
    assert.equal(formatPurl({ type: 'npm', name: '\u{1F600}' }), 'pkg:npm/%F0%9F%98%80');
    fc.assert(
      // Any UTF-16 code unit, lone surrogates included: fast-check's own units never give those.
      fc.property(fc.string({ unit: codeUnit }), fc.string({ unit: codeUnit }), (name, version) => {
        assert.match(formatPurl({ type: 'npm', name, version }), /^pkg:npm\//);
      }),
    );
  });

  test('normalise Python names per PEP 503', () => {
    assert.equal(normalisePypiName('Foo.Bar__baz-Qux'), 'foo-bar-baz-qux');
  });
});
