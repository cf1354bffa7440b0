import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ENTRY, runCli } from './run-cli.js';

// Every case here fails before any runtime call, so the endpoints point at paths in a folder
// this test owns and that hold no socket.
describe('eraser run rejects bad input before touching a runtime', () => {
  let dir = '';
  let sock = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eraser-cli-'));
    sock = `unix://${join(dir, 'absent.sock')}`;
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('help explains the rules and the exit codes and exits 0', async () => {
    const r = await runCli(['run', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes:/);
    assert.match(r.stdout, /--keep-shared-tags/);
  });

  test('a run with no images named exits 2 and says how to name them', async () => {
    const r = await runCli(['run', '-r', sock, '--log-level', 'silent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--image or --image-list, or pass --all-unused/);
  });

  test('a malformed --min-age exits 2, names the value and shows the form', async () => {
    const r = await runCli(['run', '-r', sock, '-a', '--min-age', '1.5d', '--log-level', 'silent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"1\.5d" is invalid/);
    assert.match(r.stderr, /e\.g\. 90m, 12h, 7d/);
  });

  test('a list of 200,000 entries is read whole, then a missing socket exits 3', async () => {
    const list = join(dir, 'big.json');
    const entries = Array.from({ length: 200_000 }, (_, i) => `i${i % 50}`);
    await writeFile(list, JSON.stringify(entries));
    const r = await runCli(['run', '-r', sock, '-f', list, '-n', '--log-level', 'silent']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /absent\.sock/);
  });

  test('with -o json, a flag error is JSON on stdout as well', async () => {
    const r = await runCli(['run', '-r', sock, '-o', 'json', '-a', '--bogus']);
    assert.equal(r.code, 2);
    const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(parsed.error.code, 'USAGE_UNKNOWN_OPTION');
    assert.match(parsed.error.message, /--bogus/);
  });

  // The timeout guards against the hang this test is about; it asserts nothing about speed.
  test(
    'a closed stderr neither hangs a run nor changes its exit code',
    { timeout: 60_000 },
    async (t) => {
      const args = ['--import', 'tsx', ENTRY, 'run', '-r', 'unix://relative.sock', '-a', '-n'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      // Also after a timeout, so a hung child cannot keep the test process alive.
      t.after(() => child.kill('SIGKILL'));
      child.stderr.destroy();
      const [code] = (await once(child, 'close')) as [number | null];
      assert.equal(code, 2);
    },
  );

  test('a flag error after -o json -o table is plain text, as the last -o asks', async () => {
    const r = await runCli(['run', '-r', sock, '-o', 'json', '-o', 'table', '-a', '--bogus']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--bogus/);
  });

  test('a missing socket exits 3 and names the endpoint', async () => {
    const r = await runCli(['run', '-r', sock, '-a', '--log-level', 'silent']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /absent\.sock/);
  });

  test('a tcp endpoint exits 2 and says what is expected', async () => {
    const r = await runCli(['run', '-r', 'tcp://127.0.0.1:1', '-a', '--log-level', 'silent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unix:\/\//);
  });

  test('a malformed exclusion file exits 2 and names the file', async () => {
    const exclusions = join(dir, 'exclusions');
    await mkdir(exclusions);
    await writeFile(join(exclusions, 'bad.json'), '{"excluded": "alpine"}');
    const r = await runCli(['run', '-r', sock, '-a', '-E', exclusions, '--log-level', 'silent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.json/);
  });

  test('a non-numeric concurrency exits 2 with the allowed range', async () => {
    const r = await runCli(['run', '-r', sock, '-a', '-c', 'many']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /1 to 10000/);
  });
});
