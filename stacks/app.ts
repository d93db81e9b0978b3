import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  assertRegionSupported,
  type CellDefinition,
  cellStackName,
  DEFAULT_CATALOG,
  parseStoreKind,
  STORE_KINDS,
  type StoreKind,
  selectCells,
  withStore,
} from '../cells/catalog.js';
import { buildTopology } from '../cells/topology.js';
import { CellStack } from './cell-stack.js';
import { bundledLambdaCode } from './lambda-bundle.js';
import type { LambdaCodeProvider } from './lambda-code.js';
import { writeOpenApiArtifact } from './openapi-artifact.js';
import { QUICKSIGHT_PRINCIPAL_ARN } from './quicksight-definition.js';

/**
 * The CDK app entry: the only place that reads CDK context and the environment. It turns them into
 * a typed {@link CellAppConfig}, refuses unsupported regions before building anything, and stamps
 * one `CellStack` per selected cell, checked by cdk-nag's AwsSolutions pack.
 *
 * Context:
 * - `cells`: comma-separated cell names (or region names); default: the whole catalog.
 * - `store`: `timestream` or `aurora-postgresql`: the store of every selected cell, overriding the
 *   catalog's `store` (default: each cell's own, else Timestream). The region check follows it.
 * - `quicksight`: `true`/`false`, default false: adds the QuickSight dashboards (the account must
 *   subscribe to QuickSight first).
 * - `quicksightPrincipals`: comma-separated QuickSight user/group ARNs given the dashboards;
 *   required when `quicksight` is true.
 *
 * @example
 * npx cdk synth -c cells=us-east-1,us-west-2
 * npx cdk synth -c cells=us-west-1 -c store=aurora-postgresql
 * npx cdk synth -c cells=us-east-1 -c quicksight=true -c quicksightPrincipals=arn:aws:quicksight:us-east-1:123456789012:user/default/ops
 * // in a test, without spawning:
 * const app = buildApp({ cells: 'us-east-1' }, { lambdaCode: stubCode });
 */

/** The context keys the app reads, as the CLI passes them (strings) or a test does (any JSON). */
export interface CellAppContext {
  readonly cells?: unknown;
  readonly store?: unknown;
  readonly quicksight?: unknown;
  readonly quicksightPrincipals?: unknown;
}

export interface CellAppConfig {
  readonly cells: readonly CellDefinition[];
  /** Renders the QuickSight dashboards (they need an account subscription). */
  readonly quicksight: boolean;
  /** QuickSight user/group ARNs given the dashboards; non-empty when `quicksight` is true. */
  readonly quicksightPrincipals: readonly string[];
  /** Account for cells that name none (`CDK_DEFAULT_ACCOUNT`); undefined = environment-agnostic. */
  readonly defaultAccount?: string;
}

export class AppConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppConfigError';
  }
}

function parseFlag(name: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new AppConfigError(`context ${name} must be true or false, got ${JSON.stringify(value)}`);
}

/** `-c quicksightPrincipals=arn1,arn2` → validated ARNs; each must be a QuickSight user or group. */
function parsePrincipals(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') {
    throw new AppConfigError(
      `context quicksightPrincipals must be a comma-separated string, got ${JSON.stringify(value)}`,
    );
  }
  const principals = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const principal of principals) {
    if (!QUICKSIGHT_PRINCIPAL_ARN.test(principal)) {
      throw new AppConfigError(
        `context quicksightPrincipals: ${JSON.stringify(principal)} is not a QuickSight user or group ARN ` +
          '(arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>)',
      );
    }
  }
  return [...new Set(principals)];
}

/** `-c store=...` → a store kind for every selected cell; undefined when not given. */
function parseStore(value: unknown): StoreKind | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  try {
    return parseStoreKind(typeof value === 'string' ? value.trim() : value, 'context store');
  } catch {
    throw new AppConfigError(
      `context store must be one of ${STORE_KINDS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * Context → typed config. Throws for an unknown cell, a malformed flag, or a cell whose region
 * lacks a service the cell needs (e.g. us-west-1 has no Timestream), before any stack exists.
 */
export function configFromContext(
  context: CellAppContext,
  env: { readonly defaultAccount?: string } = {},
  catalog: readonly CellDefinition[] = DEFAULT_CATALOG,
): CellAppConfig {
  if (context.cells !== undefined && typeof context.cells !== 'string') {
    throw new AppConfigError(
      `context cells must be a comma-separated string, got ${JSON.stringify(context.cells)}`,
    );
  }
  const cells = withStore(selectCells(catalog, context.cells), parseStore(context.store));
  for (const cell of cells) assertRegionSupported(cell);
  const quicksight = parseFlag('quicksight', context.quicksight);
  const quicksightPrincipals = parsePrincipals(context.quicksightPrincipals);
  if (quicksight && quicksightPrincipals.length === 0) {
    throw new AppConfigError(
      'context quicksight=true needs -c quicksightPrincipals=<QuickSight user or group ARN>[,...]: ' +
        'dashboards nobody may open are of no use',
    );
  }
  return {
    cells,
    quicksight,
    quicksightPrincipals,
    ...(env.defaultAccount ? { defaultAccount: env.defaultAccount } : {}),
  };
}

/** Adds one `CellStack` per configured cell to `app`, and the AwsSolutions checks. */
export function addCells(app: App, config: CellAppConfig, lambdaCode: LambdaCodeProvider): CellStack[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return config.cells.map(
    (cell) =>
      new CellStack(app, cellStackName(cell), {
        env: { account: cell.account ?? config.defaultAccount, region: cell.region },
        cell,
        topology: buildTopology(cell.overrides),
        lambdaCode,
        quicksight: config.quicksight,
        quicksightPrincipals: config.quicksightPrincipals,
      }),
  );
}

export interface BuildAppOptions {
  readonly lambdaCode: LambdaCodeProvider;
  readonly defaultAccount?: string;
  readonly catalog?: readonly CellDefinition[];
  /** Extra App props (e.g. `outdir`); `context` is merged under the given context. */
  readonly appProps?: AppProps;
}

/**
 * Builds the whole app from a context object, without the CLI: what `cdk synth` runs, testable
 * in-process. The context may also carry CDK feature flags (tests pass cdk.json's context).
 */
export function buildApp(context: CellAppContext & Record<string, unknown>, options: BuildAppOptions): App {
  const config = configFromContext(context, { defaultAccount: options.defaultAccount }, options.catalog);
  const app = new App({ ...options.appProps, context: { ...options.appProps?.context, ...context } });
  addCells(app, config, options.lambdaCode);
  return app;
}

/** CLI entry: context from `cdk synth -c ...` (via the App), account from the CLI environment. */
export function main(): void {
  try {
    const app = new App();
    const context: CellAppContext = {
      cells: app.node.tryGetContext('cells'),
      store: app.node.tryGetContext('store'),
      quicksight: app.node.tryGetContext('quicksight'),
      quicksightPrincipals: app.node.tryGetContext('quicksightPrincipals'),
    };
    const config = configFromContext(context, { defaultAccount: process.env.CDK_DEFAULT_ACCOUNT });
    addCells(app, config, bundledLambdaCode());
    const assembly = app.synth();
    // The ingest API's OpenAPI 3.1 document beside each template (cell overrides may change it).
    for (const cell of config.cells) {
      writeOpenApiArtifact(assembly.directory, buildTopology(cell.overrides), cellStackName(cell));
    }
  } catch (error) {
    // A configuration mistake deserves one clear line, not a stack trace through the CDK.
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) main();
