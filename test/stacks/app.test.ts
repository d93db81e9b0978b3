import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertRegionSupported, cellStackName, DEFAULT_CATALOG, selectCells } from '../../cells/catalog.js';
import { AppConfigError, buildApp, configFromContext, main } from '../../stacks/app.js';
import { CellStack } from '../../stacks/cell-stack.js';
import { cdkJsonContext, STUB_LAMBDA_CODE } from './cell-fixture.js';

const OPS_USER = 'arn:aws:quicksight:us-east-1:123456789012:user/default/ops';
const FINANCE_GROUP = 'arn:aws:quicksight:us-east-1:123456789012:group/default/finance';

describe('configFromContext', () => {
  it('selects the whole default catalog when no cells are given', () => {
    // Act
    const config = configFromContext({});

    // Assess
    expect(config.cells).toEqual(DEFAULT_CATALOG);
    expect(config.quicksight).toBe(false);
  });

  it('selects the listed cells in the given order', () => {
    const config = configFromContext({ cells: 'us-west-2, us-east-1' });
    expect(config.cells.map((c) => c.name)).toEqual(['us-west-2', 'us-east-1']);
  });

  it('refuses us-west-1, naming the region and Timestream', () => {
    expect(() => configFromContext({ cells: 'us-east-1,us-west-1' })).toThrow(
      'cell "us-west-1" cannot be deployed: region us-west-1 does not offer Timestream for LiveAnalytics',
    );
  });

  it('keeps the default Timestream store unless -c store= or the catalog says otherwise', () => {
    expect(configFromContext({}).cells.map((c) => c.store)).toEqual(DEFAULT_CATALOG.map(() => undefined));
    expect(configFromContext({ store: 'timestream' }).cells.map((c) => c.store)).toEqual(
      DEFAULT_CATALOG.map(() => 'timestream'),
    );
  });

  it('sets -c store=aurora-postgresql on every selected cell, and lets us-west-1 through', () => {
    // Act
    const config = configFromContext({ cells: 'us-east-1,us-west-1', store: 'aurora-postgresql' });

    // Assess
    expect(config.cells).toEqual([
      { name: 'us-east-1', region: 'us-east-1', store: 'aurora-postgresql' },
      { name: 'us-west-1', region: 'us-west-1', store: 'aurora-postgresql' },
    ]);
  });

  it('rejects an unknown store, naming the value and the allowed ones', () => {
    expect(() => configFromContext({ store: 'dynamodb' })).toThrow(AppConfigError);
    expect(() => configFromContext({ store: 'dynamodb' })).toThrow(
      'context store must be one of timestream, aurora-postgresql, got "dynamodb"',
    );
    expect(() => configFromContext({ store: 42 })).toThrow(
      'context store must be one of timestream, aurora-postgresql, got 42',
    );
  });

  it('rejects a catalog cell with an unknown store, naming the cell and the value', () => {
    const catalog = [
      { name: 'x', region: 'us-east-1', store: 'sqlite' },
    ] as unknown as typeof DEFAULT_CATALOG;
    expect(() => configFromContext({}, {}, catalog)).toThrow(
      'cell "x" store must be one of timestream, aurora-postgresql, got "sqlite"',
    );
  });

  it('parses the quicksight flag and rejects anything but true or false', () => {
    expect(configFromContext({ quicksight: 'true', quicksightPrincipals: OPS_USER }).quicksight).toBe(true);
    expect(configFromContext({ quicksight: false }).quicksight).toBe(false);
    expect(() => configFromContext({ quicksight: 'yes' })).toThrow(AppConfigError);
    expect(() => configFromContext({ quicksight: 'yes' })).toThrow(
      'context quicksight must be true or false, got "yes"',
    );
  });

  it('parses comma-separated QuickSight principals, dropping blanks and duplicates', () => {
    // Act
    const config = configFromContext({
      quicksight: 'true',
      quicksightPrincipals: ` ${OPS_USER},,${FINANCE_GROUP},${OPS_USER}`,
    });

    // Assess
    expect(config.quicksightPrincipals).toEqual([OPS_USER, FINANCE_GROUP]);
    expect(configFromContext({}).quicksightPrincipals).toEqual([]);
  });

  it('refuses the quicksight flag without principals, and a principal that is not a QuickSight ARN', () => {
    expect(() => configFromContext({ quicksight: 'true' })).toThrow(
      'context quicksight=true needs -c quicksightPrincipals=',
    );
    expect(() =>
      configFromContext({ quicksight: 'true', quicksightPrincipals: 'arn:aws:iam::123456789012:user/ops' }),
    ).toThrow(
      'context quicksightPrincipals: "arn:aws:iam::123456789012:user/ops" is not a QuickSight user or group ARN',
    );
    expect(() => configFromContext({ quicksightPrincipals: ['x'] })).toThrow(
      'context quicksightPrincipals must be a comma-separated string',
    );
  });

  it('rejects a non-string cells context', () => {
    expect(() => configFromContext({ cells: ['us-east-1'] })).toThrow(
      'context cells must be a comma-separated string',
    );
  });

  it('carries the CLI default account for cells that name none', () => {
    expect(configFromContext({}, { defaultAccount: '123456789012' }).defaultAccount).toBe('123456789012');
  });
});

describe('selectCells + assertRegionSupported', () => {
  it('builds us-west-1 from its region name, then refuses it for Timestream', () => {
    // Act
    const [cell] = selectCells(DEFAULT_CATALOG, 'us-west-1');

    // Assess
    if (!cell) throw new Error('no cell selected');
    expect(cell).toEqual({ name: 'us-west-1', region: 'us-west-1' });
    expect(() => assertRegionSupported(cell)).toThrow(/us-west-1 does not offer Timestream/);
    expect(() => assertRegionSupported(cell)).toThrow(/or use the aurora-postgresql store/);
  });

  it('lets the region check follow the store: us-west-1 passes on Aurora', () => {
    expect(() =>
      assertRegionSupported({ name: 'us-west-1', region: 'us-west-1', store: 'aurora-postgresql' }),
    ).not.toThrow();
    expect(() => assertRegionSupported({ name: 'w', region: 'us-west-1', store: 'timestream' })).toThrow(
      'cell "w" cannot be deployed: region us-west-1 does not offer Timestream for LiveAnalytics',
    );
  });
});

describe('buildApp', () => {
  it('stamps one CellStack per selected cell, named InvoiceCell-<name>, in the cell region', () => {
    // Act
    const app = buildApp(
      { ...cdkJsonContext(), cells: 'us-east-1,us-west-2' },
      { lambdaCode: STUB_LAMBDA_CODE },
    );
    const stacks = app.node.children.filter((c): c is CellStack => c instanceof CellStack);

    // Assess
    expect(stacks.map((s) => [s.stackName, s.region])).toEqual([
      ['InvoiceCell-us-east-1', 'us-east-1'],
      ['InvoiceCell-us-west-2', 'us-west-2'],
    ]);
    expect(cellStackName({ name: 'x' })).toBe('InvoiceCell-x');
  });

  it('refuses us-west-1 before creating any stack', () => {
    expect(() => buildApp({ cells: 'us-west-1' }, { lambdaCode: STUB_LAMBDA_CODE })).toThrow(
      /region us-west-1 does not offer Timestream for LiveAnalytics/,
    );
  });
});

describe('main', () => {
  const saved = { context: process.env.CDK_CONTEXT_JSON, outdir: process.env.CDK_OUTDIR };
  let outdir: string | undefined;

  afterEach(() => {
    process.exitCode = undefined;
    for (const [key, value] of [
      ['CDK_CONTEXT_JSON', saved.context],
      ['CDK_OUTDIR', saved.outdir],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (outdir) rmSync(outdir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it('prints one clear error line and sets exit code 1 for us-west-1', () => {
    // Prepare: the context the CDK CLI passes for `cdk synth -c cells=us-west-1`
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ cells: 'us-west-1' });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    // Act
    main();

    // Assess
    expect(process.exitCode).toBe(1);
    expect(stderr).toHaveBeenCalledTimes(1);
    const line = String(stderr.mock.calls[0]?.[0]);
    expect(line).toMatch(
      /^Error: cell "us-west-1" cannot be deployed: region us-west-1 does not offer Timestream/,
    );
    expect(line.trimEnd().split('\n')).toHaveLength(1);
  });

  it('synthesizes us-west-1 with -c store=aurora-postgresql, bundling the migrations with their SQL files', () => {
    // Prepare: `cdk synth -c cells=us-west-1 -c store=aurora-postgresql`
    outdir = mkdtempSync(join(tmpdir(), 'cell-app-'));
    process.env.CDK_OUTDIR = outdir;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({
      ...cdkJsonContext(),
      cells: 'us-west-1',
      store: 'aurora-postgresql',
    });
    const stderr = vi.spyOn(process.stderr, 'write');

    // Act
    main();

    // Assess
    expect(process.exitCode).toBeUndefined();
    expect(stderr).not.toHaveBeenCalledWith(expect.stringMatching(/^Error:/));
    const template = JSON.parse(
      readFileSync(join(outdir, 'InvoiceCell-us-west-1.template.json'), 'utf8'),
    ) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Code?: { S3Key?: string }; Description?: string } }
      >;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::RDS::DBCluster', 'Custom::AuroraMigrations']));
    expect(types.filter((t) => t.startsWith('AWS::Timestream::'))).toEqual([]);
    const migrations = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.includes('SQL migrations'),
    );
    const asset = String(migrations?.Properties.Code?.S3Key).replace(/\.zip$/, '');
    expect(existsSync(join(outdir, `asset.${asset}`, 'index.mjs'))).toBe(true);
    expect(existsSync(join(outdir, `asset.${asset}`, 'migrations', '0001_records.sql'))).toBe(true);
  }, 300_000);

  it('synthesizes the selected cell with the bundled handlers', () => {
    // Prepare
    outdir = mkdtempSync(join(tmpdir(), 'cell-app-'));
    process.env.CDK_OUTDIR = outdir;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ ...cdkJsonContext(), cells: 'us-east-2' });
    const stderr = vi.spyOn(process.stderr, 'write');

    // Act
    main();

    // Assess
    expect(process.exitCode).toBeUndefined();
    expect(stderr).not.toHaveBeenCalledWith(expect.stringMatching(/^Error:/));
    const templatePath = join(outdir, 'InvoiceCell-us-east-2.template.json');
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: unknown } } }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    // Per stage a relay and a processor, plus the stuck-invoice monitor and the monthly report.
    expect(functions).toHaveLength(10);
    for (const fn of functions) expect(fn.Properties.Code?.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  });
});
