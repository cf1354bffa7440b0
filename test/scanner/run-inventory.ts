/**
 * Runs `eraser inventory` in this process with captured streams, a fixed clock and fixed ids,
 * so output can be compared exactly. The command is mounted on a bare `eraser` program, as
 * src/cli/main.ts mounts it.
 */
import { PassThrough } from 'node:stream';

import { Command } from 'commander';

import { inventoryCommand, type InventoryIo } from '../../src/cli/inventory.js';

export interface InventoryRun {
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** Structured log lines (JSON), separate from stderr text. */
  readonly logs: string;
}

export const FIXED_TIME = new Date('2025-03-01T00:00:00Z');
export const FIXED_UUID = '3f6c1a52-5b8e-4a4e-9d41-2f0c6a7b9e10';

class Capture extends PassThrough {
  text = '';

  constructor(readonly isTTY: boolean) {
    super();
    this.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
  }

  /** What cli-progress asks of a terminal. */
  readonly columns = 100;
  cursorTo(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
}

export async function runInventory(
  args: readonly string[],
  options: { readonly tty?: boolean } = {},
): Promise<InventoryRun> {
  let code: number | undefined;
  let stdout = '';
  let logs = '';
  const stderr = new Capture(options.tty === true);
  const io: InventoryIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr,
    clock: () => FIXED_TIME,
    randomUUID: () => FIXED_UUID,
    logDestination: { write: (line: string) => (logs += line) },
  };
  const program = new Command('eraser').exitOverride();
  program.addCommand(inventoryCommand((c) => (code = c), io));
  await program.parseAsync(['inventory', ...args], { from: 'user' });
  stderr.end();
  return { code, stdout, stderr: stderr.text, logs };
}
