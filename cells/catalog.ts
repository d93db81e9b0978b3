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
}

/**
 * The CloudFormation stack name of a cell. The CDK app names stacks with it and the ops CLI finds
 * a deployed cell's outputs under it; it lives here, free of aws-cdk-lib, so the CLI loads fast.
 */
export function cellStackName(cell: Pick<CellDefinition, 'name'>): string {
  return `InvoiceCell-${cell.name}`;
}

/** Default catalog. us-west-1 is left out on purpose: it has no Timestream for LiveAnalytics. */
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

/**
 * Regions offering each AWS service a cell needs that is not in every region.
 * Timestream for LiveAnalytics: https://docs.aws.amazon.com/general/latest/gr/timestream.html
 * (no us-west-1; also closed to new accounts since 2025-06-20, see DESIGN §2a).
 */
export const REGIONAL_SERVICES: Readonly<Record<string, readonly string[]>> = {
  'Timestream for LiveAnalytics': [
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

/** Throws a message naming the region and every missing service, or returns quietly. */
export function assertRegionSupported(cell: CellDefinition): void {
  const missing = Object.entries(REGIONAL_SERVICES)
    .filter(([, regions]) => !regions.includes(cell.region))
    .map(([service]) => service);
  if (missing.length > 0) {
    throw new Error(
      `cell "${cell.name}" cannot be deployed: region ${cell.region} does not offer ${missing.join(', ')}. ` +
        `Pick a region from: ${Object.values(REGIONAL_SERVICES)[0]?.join(', ')}`,
    );
  }
}
