import type { CellSettings } from './topology.js';

/**
 * The deployed cells. One `CellStack` is stamped per entry; `-c cells=a,b` picks a subset.
 *
 * @example
 * import { selectCells } from './catalog.js';
 * selectCells(DEFAULT_CATALOG, 'us-east-1,us-west-2').map((c) => c.region);
 */
export interface CellDefinition {
  /** Unique cell name; also the stack name suffix. */
  readonly name: string;
  /** AWS account id; undefined = the CLI's current account at deploy time. */
  readonly account?: string;
  readonly region: string;
  /** Cell-level overrides of the topology's settings. */
  readonly overrides?: Partial<CellSettings>;
  /**
   * The AWS time-series store of the cell (DESIGN §2a). Default `timestream`; accounts that never
   * used Timestream for LiveAnalytics (closed to new customers since 2025-06-20) and regions without
   * it (us-west-1) must use `aurora-postgresql`.
   */
  readonly store?: StoreKind;
}

/** The AWS stores a cell may use behind the `TimeseriesStore` port (`consumers/store.ts`). */
export const STORE_KINDS = ['timestream', 'aurora-postgresql'] as const;

export type StoreKind = (typeof STORE_KINDS)[number];

/** The store of a cell that names none. */
export const DEFAULT_STORE: StoreKind = 'timestream';

export function isStoreKind(value: unknown): value is StoreKind {
  return typeof value === 'string' && (STORE_KINDS as readonly string[]).includes(value);
}

/**
 * `value` as a store kind, or an error naming `what`, the bad value and the allowed ones.
 *
 * @example
 * parseStoreKind(app.node.tryGetContext('store'), 'context store'); // 'aurora-postgresql'
 */
export function parseStoreKind(value: unknown, what: string): StoreKind {
  if (isStoreKind(value)) return value;
  throw new Error(`${what} must be one of ${STORE_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
}

/** The store a cell uses: its own `store`, else {@link DEFAULT_STORE}. Throws for an unknown one. */
export function storeOf(cell: Pick<CellDefinition, 'name' | 'store'>): StoreKind {
  if (cell.store === undefined) return DEFAULT_STORE;
  return parseStoreKind(cell.store, `cell "${cell.name}" store`);
}

/**
 * The cells with `store` set on every one (`-c store=`), or unchanged when `store` is undefined.
 *
 * @example
 * withStore(selectCells(DEFAULT_CATALOG, 'us-west-1'), 'aurora-postgresql');
 */
export function withStore(cells: readonly CellDefinition[], store: StoreKind | undefined): CellDefinition[] {
  return cells.map((cell) => (store === undefined ? cell : { ...cell, store }));
}

/**
 * The CloudFormation stack name of a cell. The CDK app names stacks with it and the ops CLI finds
 * a deployed cell's outputs under it; it lives here, free of aws-cdk-lib, so the CLI loads fast.
 */
export function cellStackName(cell: Pick<CellDefinition, 'name'>): string {
  return `InvoiceCell-${cell.name}`;
}

/**
 * Default catalog, all on Timestream. us-west-1 is left out on purpose: it has no Timestream for
 * LiveAnalytics; a us-west-1 cell is `{ name: 'us-west-1', region: 'us-west-1', store: 'aurora-postgresql' }`
 * (or `-c cells=us-west-1 -c store=aurora-postgresql`).
 */
export const DEFAULT_CATALOG: readonly CellDefinition[] = [
  { name: 'us-east-1', region: 'us-east-1' },
  { name: 'us-east-2', region: 'us-east-2' },
  { name: 'us-west-2', region: 'us-west-2' },
];

/**
 * Cells that the catalog does not list but a user may still ask for by region name
 * (`-c cells=us-west-1`): they are built from the region alone and then checked for the services
 * they need, so an unsupported region fails with a clear message instead of "unknown cell".
 */
export function cellFromRegion(region: string): CellDefinition {
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
    throw new Error(
      `unknown cell "${region}": not in the catalog (${DEFAULT_CATALOG.map((c) => c.name).join(', ')}) and not an AWS region name`,
    );
  }
  return { name: region, region };
}

/**
 * Picks cells by a comma-separated list of names (CDK context `cells`). Empty or undefined = all.
 */
export function selectCells(
  catalog: readonly CellDefinition[],
  selection: string | undefined,
): CellDefinition[] {
  if (selection === undefined || selection.trim() === '') return [...catalog];
  const names = selection
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) throw new Error(`cell "${name}" is listed twice in -c cells=${selection}`);
    seen.add(name);
    return catalog.find((c) => c.name === name) ?? cellFromRegion(name);
  });
}

/** The regional service a Timestream cell needs (the key of {@link REGIONAL_SERVICES}). */
export const TIMESTREAM_SERVICE = 'Timestream for LiveAnalytics';

/**
 * Regions offering each AWS service a cell may need that is not in every region.
 * Timestream for LiveAnalytics: https://docs.aws.amazon.com/general/latest/gr/timestream.html
 * (no us-west-1; also closed to new accounts since 2025-06-20, see DESIGN §2a).
 */
export const REGIONAL_SERVICES: Readonly<Record<string, readonly string[]>> = {
  [TIMESTREAM_SERVICE]: [
    'us-east-1',
    'us-east-2',
    'us-west-2',
    'ap-south-1',
    'ap-southeast-2',
    'ap-northeast-1',
    'eu-central-1',
    'eu-west-1',
  ],
};

/**
 * The services of {@link REGIONAL_SERVICES} each store needs. Aurora PostgreSQL Serverless v2 with
 * the RDS Data API is offered in every region a catalog cell uses, us-west-1 included
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html),
 * so it needs none of them.
 */
export const STORE_SERVICES: Readonly<Record<StoreKind, readonly string[]>> = {
  timestream: [TIMESTREAM_SERVICE],
  'aurora-postgresql': [],
};

/**
 * Throws a message naming the region and every missing service of the cell's store, or returns
 * quietly: the region check follows the store (a us-west-1 cell on Aurora passes).
 */
export function assertRegionSupported(cell: CellDefinition): void {
  const store = storeOf(cell);
  const missing = STORE_SERVICES[store].filter(
    (service) => !(REGIONAL_SERVICES[service] ?? []).includes(cell.region),
  );
  if (missing.length > 0) {
    const regions = missing.map((service) => REGIONAL_SERVICES[service]?.join(', ')).join('; ');
    throw new Error(
      `cell "${cell.name}" cannot be deployed: region ${cell.region} does not offer ${missing.join(', ')}. ` +
        `Pick a region from: ${regions}, or use the aurora-postgresql store (-c store=aurora-postgresql)`,
    );
  }
}
