import fs from 'node:fs';
import path from 'node:path';

/**
 * What a `bench:scale` run wrote into its cell (`<data dir>/scale-bench-fill.json`), so a later
 * `--measure-existing` run on the same data dir hands out the invoices after it (no event id sent
 * twice) and reports how the records came.
 *
 * @example
 * writeFillRecord(dir, { seed: 1, invoices: 2_500_000, viaHttp: 1_000_000, viaBulk: 9_000_000 });
 * readFillRecord(dir)?.invoices; // 2500000
 */
export interface FillRecord {
  /** The traffic seed of the run. */
  readonly seed: number;
  /** Invoices handed out (the next run starts at this index). */
  readonly invoices: number;
  readonly viaHttp: number;
  readonly viaBulk: number;
}

/** The fill record's file name inside the data dir. */
export const FILL_RECORD_FILE = 'scale-bench-fill.json';

export function writeFillRecord(dataDir: string, record: FillRecord): void {
  fs.writeFileSync(path.join(dataDir, FILL_RECORD_FILE), `${JSON.stringify(record)}\n`);
}

/** The record of `dataDir`, or undefined when there is none or it is not one. */
export function readFillRecord(dataDir: string): FillRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.join(dataDir, FILL_RECORD_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const r = parsed as Partial<Record<keyof FillRecord, unknown>>;
  const whole = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  return whole(r.seed) && whole(r.invoices) && whole(r.viaHttp) && whole(r.viaBulk)
    ? (parsed as FillRecord)
    : undefined;
}
