import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storedElsewhere } from '../../../scripts/bench/scale-data-dir.js';
import { readFillRecord, writeFillRecord } from '../../../scripts/bench/scale-fill-record.js';

describe('fill record', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fill-record-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back what was written', () => {
    // Act
    writeFillRecord(dir, { seed: 3, invoices: 250_000, viaHttp: 1_000_000, viaBulk: 9_000_000 });

    // Assess
    expect(readFillRecord(dir)).toEqual({
      seed: 3,
      invoices: 250_000,
      viaHttp: 1_000_000,
      viaBulk: 9_000_000,
    });
  });

  it('answers nothing for a missing file, bad JSON or a field that is not a whole count', () => {
    // Prepare
    const file = path.join(dir, 'scale-bench-fill.json');
    const answers = [readFillRecord(dir)];
    for (const text of ['{', '{"seed":1,"invoices":-1,"viaHttp":0,"viaBulk":0}', '{"seed":1}']) {
      fs.writeFileSync(file, text);
      answers.push(readFillRecord(dir));
    }

    // Assess
    expect(answers).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("names the fill's invoices only to a run on another seed, whose own numbering holds none of them", () => {
    // Prepare
    writeFillRecord(dir, { seed: 3, invoices: 2_541_381, viaHttp: 1_000_000, viaBulk: 9_000_001 });

    // Act / Assess
    expect(storedElsewhere(dir, 4)).toEqual({ seed: 3, invoices: 2_541_381 });
    expect(storedElsewhere(dir, 3)).toBeUndefined();
  });

  it('names nothing without a fill record', () => {
    expect(storedElsewhere(dir, 4)).toBeUndefined();
  });
});
