import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';

import type { Termination } from './status.js';

/** Kubelet's limits: 4 KiB of termination message, or the last 80 lines / 2 KiB of log. */
const MESSAGE_BYTES = 4096;
const LOG_TAIL_BYTES = 2048;
const LOG_TAIL_LINES = 80;
const LOG_KEEP_BYTES = 1024 * 1024;

export interface ContainerRun {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Host path of the file the container's terminationMessagePath maps to. */
  readonly terminationFile: string;
  readonly fallbackToLogs: boolean;
  /** activeDeadlineSeconds, in ms; the process is killed when it runs longer. */
  readonly deadlineMs?: number;
}

export interface ContainerResult extends Termination {
  readonly stdout: string;
  readonly stderr: string;
  readonly deadlineExceeded: boolean;
}

function tail(log: string): string {
  const lines = log.split('\n').slice(-LOG_TAIL_LINES).join('\n');
  return lines.length > LOG_TAIL_BYTES ? lines.slice(-LOG_TAIL_BYTES) : lines;
}

async function terminationMessage(
  run: ContainerRun,
  exitCode: number,
  log: string,
): Promise<string> {
  const written = await readFile(run.terminationFile, 'utf8').catch(() => '');
  if (written !== '') return written.slice(0, MESSAGE_BYTES);
  return run.fallbackToLogs && exitCode !== 0 ? tail(log) : '';
}

function append(buffer: string, chunk: Buffer): string {
  const next = buffer + chunk.toString('utf8');
  return next.length > LOG_KEEP_BYTES ? next.slice(-LOG_KEEP_BYTES) : next;
}

/** A started container process: its result, and a way to stop it (pod deleted). */
export interface RunningContainer {
  readonly result: Promise<ContainerResult>;
  kill(): void;
}

/** The output a container wrote: each stream, and both interleaved (the "log"). */
class Output {
  stdout = '';
  stderr = '';
  combined = '';

  follow(child: ChildProcessByStdio<null, Readable, Readable>): void {
    child.stdout.on('data', (chunk: Buffer) => {
      this.stdout = append(this.stdout, chunk);
      this.combined = append(this.combined, chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = append(this.stderr, chunk);
      this.combined = append(this.combined, chunk);
    });
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal === 'SIGKILL' ? 137 : 143;
}

/** Runs one container's process to completion, like the kubelet would. */
export function runContainer(run: ContainerRun): RunningContainer {
  const [command = '', ...args] = run.argv;
  const child = spawn(command, args, {
    cwd: run.cwd,
    env: run.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new Output();
  output.follow(child);
  let deadlineExceeded = false;
  const timer = setTimeout(
    () => {
      deadlineExceeded = true;
      child.kill('SIGKILL');
    },
    run.deadlineMs ?? 2 ** 31 - 1,
  );
  const result = new Promise<ContainerResult>((resolve) => {
    child.on('error', (err) => {
      output.stderr += String(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = exitCodeOf(code, signal);
      void terminationMessage(run, exitCode, output.combined).then((message) => {
        resolve({
          exitCode,
          message,
          stdout: output.stdout,
          stderr: output.stderr,
          deadlineExceeded,
        });
      });
    });
  });
  const kill = (): void => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  };
  return { result, kill };
}
