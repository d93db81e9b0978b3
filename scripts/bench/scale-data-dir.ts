import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseFile } from './scale-cell.js';
import { FILL_RECORD_FILE, type FillRecord, readFillRecord } from './scale-fill-record.js';
import { type ScaleOptions, ScaleOptionsError } from './scale-options.js';

/**
 * The data dir a `bench:scale` run fills or measures, and what an earlier run wrote into it: a new
 * run gets an empty dir (given or temporary), `--measure-existing` and `--resume` a dir that holds
 * a cell, and `--resume` also the fill record of the run it continues. Errors are
 * {@link ScaleOptionsError}s with exit code 2.
 *
 * @example
 * const { dir, made } = dataDirOf(options);
 * const earlier = options.resume ? readFill(dir, options.seed, true, console.error) : undefined;
 */

/**
 * What the run that filled `dir` handed out, so this run's invoices follow on; without a record
 * (a cell filled by an older bench) ids are kept apart only by a different `--seed`, which it warns about.
 */
export function readFill(
  dir: string,
  seed: number,
  resume: boolean,
  warn: (line: string) => void,
): FillRecord {
  const record = readFillRecord(dir);
  if (record && record.seed === seed) return record;
  if (resume) {
    throw new ScaleOptionsError(
      record
        ? `--resume: ${dir} was filled with --seed ${record.seed}, not ${seed}: give --seed ${record.seed}`
        : `--resume: ${dir} has no fill record (${FILL_RECORD_FILE}): it was not filled by bench:scale`,
      2,
    );
  }
  if (record) return { ...record, invoices: 0 };
  warn(`warning: ${dir} has no fill record; give a --seed other than its fill's so no event id repeats`);
  return { seed, invoices: 0, viaHttp: Number.NaN, viaBulk: Number.NaN };
}

/**
 * The invoices of another seed that the cell in `dir` stores (`[0, invoices)` of its fill's
 * traffic), for reads that need a stored invoice: a run on the fill's seed goes on numbering after
 * them, so its own source covers them (undefined), but a run on another seed starts at 0 of its
 * own traffic, none of which the cell holds yet.
 *
 * @example
 * storedElsewhere(dir, 4); // { seed: 3, invoices: 2541381 } for a cell filled with --seed 3
 */
export function storedElsewhere(dir: string, seed: number): { seed: number; invoices: number } | undefined {
  const record = readFillRecord(dir);
  if (!record || record.seed === seed || !(record.invoices > 0)) return undefined;
  return { seed: record.seed, invoices: record.invoices };
}

/** The data dir to fill: the one given (it must hold no cell yet) or a fresh temp dir. */
export function dataDirOf(options: ScaleOptions): { dir: string; made: boolean } {
  if (options.dataDir === undefined) {
    return { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-')), made: true };
  }
  const dir = path.resolve(options.dataDir);
  if (options.measureExisting || options.resume) {
    const flag = options.resume ? '--resume' : '--measure-existing';
    if (!fs.existsSync(databaseFile(dir))) {
      throw new ScaleOptionsError(
        `${flag}: --data-dir ${dir} holds no cell to ${options.resume ? 'resume' : 'measure'}`,
        2,
      );
    }
    return { dir, made: false };
  }
  if (fs.existsSync(databaseFile(dir))) {
    throw new ScaleOptionsError(`--data-dir ${dir} already holds a cell; give an empty or new directory`, 2);
  }
  fs.mkdirSync(dir, { recursive: true });
  return { dir, made: false };
}
