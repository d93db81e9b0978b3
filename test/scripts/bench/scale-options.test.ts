import { describe, expect, it } from 'vitest';
import {
  parseCount,
  parseScaleOptions,
  parseSizes,
  ScaleOptionsError,
} from '../../../scripts/bench/scale-options.js';

/** The ScaleOptionsError `fn` throws, or undefined. */
function errorOf(fn: () => unknown): ScaleOptionsError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScaleOptionsError) return error;
    throw error;
  }
  return undefined;
}

describe('parseScaleOptions', () => {
  it("answers the issue's defaults when no option is given", () => {
    expect(parseScaleOptions([])).toEqual({
      sizes: [1_000_000, 5_000_000, 10_000_000],
      httpRecords: 1_000_000,
      reads: 100,
      ingestProbe: 20_000,
      ingestRounds: 3,
      soakMinutes: 30,
      soakRate: 1_500,
      dataDir: undefined,
      keep: false,
      measureExisting: false,
      resume: false,
      synchronous: 'full',
      seed: 1,
    });
  });

  it('reads every option', () => {
    // Act
    const options = parseScaleOptions([
      ...['--sizes', '300,1k', '--http-records', '200', '--reads', '2', '--ingest-probe', '50'],
      ...['--ingest-rounds', '5'],
      ...['--soak-minutes', '3', '--soak-rate', '200', '--data-dir', '/tmp/x', '--keep'],
      ...['--synchronous', 'normal', '--seed', '9'],
    ]);

    // Assess
    expect(options).toEqual({
      sizes: [300, 1_000],
      httpRecords: 200,
      reads: 2,
      ingestProbe: 50,
      ingestRounds: 5,
      soakMinutes: 3,
      soakRate: 200,
      dataDir: '/tmp/x',
      keep: true,
      measureExisting: false,
      resume: false,
      synchronous: 'normal',
      seed: 9,
    });
  });

  it('turns the soak off with --skip-soak or --soak-minutes 0', () => {
    expect(parseScaleOptions(['--skip-soak']).soakMinutes).toBe(0);
    expect(parseScaleOptions(['--soak-minutes', '0']).soakMinutes).toBe(0);
  });

  it('takes --measure-existing only with the --data-dir of a filled cell', () => {
    // Act
    const error = errorOf(() => parseScaleOptions(['--measure-existing']));

    // Assess
    expect(parseScaleOptions(['--measure-existing', '--data-dir', '/tmp/x']).measureExisting).toBe(true);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toBe('--measure-existing needs --data-dir <dir> of a filled cell');
  });

  it('takes --resume only with a --data-dir and never with --measure-existing', () => {
    // Act
    const alone = errorOf(() => parseScaleOptions(['--resume']));
    const both = errorOf(() => parseScaleOptions(['--resume', '--measure-existing', '--data-dir', '/tmp/x']));

    // Assess
    expect(parseScaleOptions(['--resume', '--data-dir', '/tmp/x']).resume).toBe(true);
    expect([alone?.exitCode, alone?.message]).toEqual([
      2,
      '--resume needs --data-dir <dir> of the cell a stopped run was filling',
    ]);
    expect([both?.exitCode, both?.message]).toEqual([
      2,
      '--resume fills the cell, --measure-existing does not: give one of them',
    ]);
  });

  it('takes --http-records 0: every record through the bulk loader', () => {
    expect(parseScaleOptions(['--http-records', '0']).httpRecords).toBe(0);
  });

  it('refuses a bad option with exit code 2 and a message naming it', () => {
    // Act
    const error = errorOf(() => parseScaleOptions(['--reads', 'many']));

    // Assess
    expect(error).toBeInstanceOf(ScaleOptionsError);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain("option '--reads <n>' argument 'many' is invalid");
  });

  it('answers --help with exit code 0 and the option list', () => {
    // Act
    const error = errorOf(() => parseScaleOptions(['--help']));

    // Assess
    expect(error?.exitCode).toBe(0);
    expect(error?.message).toMatch(/--soak-rate <n>/);
  });
});

describe('parseSizes', () => {
  it('reads counts with thousands separators and k/M suffixes', () => {
    expect(parseSizes('1_000_000,2.5M,10M')).toEqual([1_000_000, 2_500_000, 10_000_000]);
  });

  it('refuses sizes that are not ascending', () => {
    expect(() => parseSizes('5M,1M')).toThrow('sizes must be ascending, got 5M,1M');
  });
});

describe('parseCount', () => {
  it.each(['0', '-5', '1.5', 'ten', ''])('refuses %j', (value) => {
    expect(() => parseCount(value)).toThrow('must be a whole count above 0');
  });
});
