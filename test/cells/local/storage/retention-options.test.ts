import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  RetentionOptionsError,
  resolveRetention,
  retentionCliOptions,
  retentionOptionsOf,
} from '../../../../cells/local/storage/retention-options.js';
import { DEFAULT_CELL_SETTINGS } from '../../../../cells/topology.js';

const settings = DEFAULT_CELL_SETTINGS;

describe('resolveRetention', () => {
  it('fills in the documented defaults, the archive retention from the cell settings', () => {
    // Act
    const retention = resolveRetention({}, settings);

    // Assess
    expect(retention).toEqual({
      recordRetentionDays: 400,
      archiveRetentionDays: settings.archiveRetentionDays,
      minuteBinRetentionDays: 35,
      hourBinRetentionDays: 800,
      dayBinRetentionDays: 3650,
      pruneEveryMs: 3_600_000,
    });
  });

  it('refuses a record retention shorter than the archive retention + 14 days and says why', () => {
    // Act
    const act = () => resolveRetention({ recordRetentionDays: 100 }, settings);

    // Assess
    expect(act).toThrow(RetentionOptionsError);
    expect(act).toThrow(
      /^recordRetentionDays must be at least archiveRetentionDays \+ 14 \(379\), got 100: an archive replay .* would store it as new and count it twice/,
    );
  });

  it('takes a shorter record retention with a shorter archive retention', () => {
    // Act
    const retention = resolveRetention({ recordRetentionDays: 44, archiveRetentionDays: 30 }, settings);

    // Assess
    expect(retention).toMatchObject({ recordRetentionDays: 44, archiveRetentionDays: 30 });
  });

  it.each([
    ['minuteBinRetentionDays', 0],
    ['hourBinRetentionDays', 2.5],
    ['dayBinRetentionDays', 36_501],
  ] as const)('refuses %s = %s, naming the option and the range', (option, value) => {
    // Act
    const act = () => resolveRetention({ [option]: value }, settings);

    // Assess
    expect(act).toThrow(`${option} must be a whole number of days from 1 to 36500, got ${value}`);
  });

  it('refuses finer bins kept longer than coarser ones', () => {
    // Act
    const hour = () => resolveRetention({ minuteBinRetentionDays: 60, hourBinRetentionDays: 40 }, settings);
    const day = () => resolveRetention({ hourBinRetentionDays: 4000 }, settings);

    // Assess
    expect(hour).toThrow('hourBinRetentionDays must be at least minuteBinRetentionDays (60), got 40');
    expect(day).toThrow('dayBinRetentionDays must be at least hourBinRetentionDays (4000), got 3650');
  });
});

describe('retentionOptionsOf', () => {
  const parse = (argv: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    for (const option of retentionCliOptions(settings)) program.addOption(option);
    program.parse(argv, { from: 'user' });
    return program.opts();
  };
  const fail = (message: string): never => {
    throw new Error(message);
  };

  it('returns only the flags given', () => {
    // Act
    const options = retentionOptionsOf(parse(['--minute-bin-retention-days', '40']), settings, fail);

    // Assess
    expect(options).toEqual({ minuteBinRetentionDays: 40 });
  });

  it('fails with the flag name when the combination cannot work', () => {
    // Act
    const act = () => retentionOptionsOf(parse(['--record-retention-days', '30']), settings, fail);

    // Assess
    expect(act).toThrow(
      /^error: --record-retention-days must be at least archiveRetentionDays \+ 14 \(379\), got 30/,
    );
  });

  it('refuses a value that is not a whole number of days as it parses', () => {
    // Act
    const act = () => parse(['--hour-bin-retention-days', '1.5']);

    // Assess
    expect(act).toThrow(/must be a whole number of days from 1 to 36500/);
  });
});
