import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBytes, processRssMiB, vmRssMiB } from '../../../scripts/bench/scale-cell.js';

describe('vmRssMiB', () => {
  it('reads VmRSS of a /proc status text in MiB', () => {
    expect(vmRssMiB('Name:\tnode\nVmHWM:\t  600000 kB\nVmRSS:\t  524288 kB\nThreads:\t11\n')).toBe(512);
  });

  it('answers NaN when the text has no VmRSS line', () => {
    expect(vmRssMiB('Name:\tnode\n')).toBeNaN();
  });
});

describe('processRssMiB', () => {
  it.runIf(process.platform === 'linux')('reads the resident set of a running process', () => {
    expect(processRssMiB(process.pid)).toBeGreaterThan(1);
  });
});

describe('databaseBytes', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds the database file and its write-ahead log, and nothing else', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-cell-test-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'cell.sqlite'), Buffer.alloc(4096));
    fs.writeFileSync(path.join(dir, 'cell.sqlite-wal'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(dir, 'cell.lock'), Buffer.alloc(77));

    // Act / Assess
    expect(databaseBytes(dir)).toBe(5096);
  });
});
