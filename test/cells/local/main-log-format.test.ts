import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * `npm start -- --log-format pretty` (what a terminal gets by default): the start banner and
 * readable log lines instead of JSON. The JSON default of a pipe is what every other cell test
 * parses (`helpers/cell-process.ts` waits for the "cell ready" JSON line).
 */

const dataDir = tempDataDir('cell-pretty-');
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('main --log-format pretty', () => {
  it('prints the banner with the generated key once, readable lines, and no JSON', async () => {
    // Prepare
    const cell = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'cells/local/main.ts',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-format',
        'pretty',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = cell;
    let out = '';
    cell.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => cell.once('exit', resolve));

    // Act
    await waitFor(() => out.includes('Ctrl-C stops the cell') || undefined, {
      what: 'the start banner',
      describe: () => out,
    });
    cell.kill('SIGTERM');
    const code = await exited;

    // Assess
    expect(code).toBe(0);
    const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(out).toContain(`Dashboard  ${url}/`);
    expect(out).toContain(`Data       ${dataDir}`);
    const key = /generated now[^\n]*\n\n {4}(\S+)\n/.exec(out)?.[1];
    expect(key).toMatch(/^[\w-]{20,}$/);
    expect(out).toContain(`-H 'x-api-key: ${key}'`);
    expect(out).not.toContain('INSUFFICIENT_DATA -> OK');
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[cell\] shutting down/m);
    for (const line of out.split('\n')) expect(line.trimStart().startsWith('{'), line).toBe(false);
  });
});
