import {
  type CloudFormationClient,
  type Output,
  paginateDescribeStacks,
} from '@aws-sdk/client-cloudformation';
import { type CellDefinition, cellFromRegion, cellStackName } from '../../../cells/catalog.js';
import type { CellTopology, StageName } from '../../../cells/topology.js';
import { AURORA_OUTPUT_IDS, CELL_OUTPUT_IDS, stageOutputIds } from '../../../stacks/cell-outputs.js';
import { NotFoundError, OpsError, UsageError } from '../backend.js';
import { awsError } from './aws-error.js';

/**
 * Finds a deployed cell's resources: `--cell <name>` → the catalog entry (its region) → the
 * CloudFormation outputs of stack `InvoiceCell-<name>` (ids in `stacks/cell-outputs.ts`). What is
 * not an output but has a known shape (an ARN from a name, region and account) is derived, and the
 * derivation is listed in `derived` so the operator can see it.
 *
 * @example
 * const cell = resolveCell('us-east-1', DEFAULT_CATALOG);
 * const resources = await describeCellResources(cloudFormation, cell, CELL_TOPOLOGY);
 * resources.stages.get('posting')?.dlqArn;
 */
export interface StageResources {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly topicArn?: string;
  readonly relayDlqUrl?: string;
}

export interface CellResources {
  readonly cell: CellDefinition;
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly apiUrl?: string;
  readonly busName: string;
  readonly busArn: string;
  readonly archiveName: string;
  readonly archiveArn: string;
  readonly timestreamDatabase?: string;
  readonly timestreamTable?: string;
  /** An Aurora cell's store (its `AuroraClusterArn` output is there): the Data API target. */
  readonly aurora?: AuroraResources;
  /** Every alarm of the cell is named `<alarmNamePrefix><rule id>` (stacks/cell-alarms.ts). */
  readonly alarmNamePrefix: string;
  readonly stages: ReadonlyMap<StageName, StageResources>;
  /** Values derived instead of read from an output, e.g. `ArchiveArn (from ArchiveName)`. */
  readonly derived: readonly string[];
  /**
   * Every output of the stack by id. Subscriber queues are looked up here by id
   * (`subscriberOutputIds`): the CLI's topology need not declare the subscribers a cell was deployed with.
   */
  readonly outputs: Readonly<Record<string, string>>;
}

/** The Data API target of an Aurora cell, from its `Aurora*` outputs. */
export interface AuroraResources {
  readonly clusterArn: string;
  readonly secretArn: string;
  readonly database: string;
}

/** The catalog entry of `--cell <name>`, or a cell built from a region name; {@link UsageError} otherwise. */
export function resolveCell(name: string, catalog: readonly CellDefinition[]): CellDefinition {
  const entry = catalog.find((c) => c.name === name);
  if (entry) return entry;
  try {
    return cellFromRegion(name);
  } catch (error) {
    throw new UsageError(`--cell: ${(error as Error).message}`);
  }
}

const STACK_ARN = /^arn:([a-z-]+):cloudformation:([a-z0-9-]+):(\d{12}):stack\//;
const QUEUE_URL = /^https:\/\/sqs\.([a-z0-9-]+)\.[a-z0-9.-]+\/(\d{12})\/([A-Za-z0-9_.-]+)$/;

/** `arn:aws:sqs:us-east-1:123456789012:name.fifo` from a queue URL; `undefined` for an unknown URL. Pure. */
export function queueArnFromUrl(url: string, partition = 'aws'): string | undefined {
  const match = QUEUE_URL.exec(url);
  return match ? `arn:${partition}:sqs:${match[1]}:${match[2]}:${match[3]}` : undefined;
}

/** The queue name (CloudWatch `QueueName` dimension) of a queue URL. Pure. */
export function queueNameFromUrl(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** Builds the resources from a stack's outputs. Throws {@link OpsError} naming a missing output. Pure. */
export function resourcesFromOutputs(
  cell: CellDefinition,
  stack: { readonly stackName: string; readonly stackId: string },
  outputs: Readonly<Record<string, string>>,
  topology: CellTopology,
): CellResources {
  const arn = STACK_ARN.exec(stack.stackId);
  if (!arn) throw new OpsError(`stack ${stack.stackName} has an unexpected id ${stack.stackId}`);
  const [, partition = 'aws', region = cell.region, account = ''] = arn;
  const derived: string[] = [];
  const need = (id: string): string => {
    const value = outputs[id];
    if (value === undefined || value === '') {
      throw new OpsError(
        `stack ${stack.stackName} has no output ${id}; redeploy the cell with the current CellStack (npx cdk deploy ${stack.stackName})`,
      );
    }
    return value;
  };
  const orDerive = (id: string, from: string, make: () => string | undefined): string => {
    const value = outputs[id];
    if (value) return value;
    const made = make();
    if (!made) return need(id);
    derived.push(`${id} (from ${from})`);
    return made;
  };
  const busName = need(CELL_OUTPUT_IDS.busName);
  const archiveName = need(CELL_OUTPUT_IDS.archiveName);
  const stages = new Map<StageName, StageResources>();
  for (const stage of topology.stages) {
    const ids = stageOutputIds(stage);
    const queueUrl = need(ids.queueUrl);
    const dlqUrl = need(ids.dlqUrl);
    const topicArn = outputs[ids.topicArn];
    const relayDlqUrl = outputs[ids.relayDlqUrl];
    stages.set(stage.name, {
      queueUrl,
      queueArn: orDerive(ids.queueArn, ids.queueUrl, () => queueArnFromUrl(queueUrl, partition)),
      dlqUrl,
      dlqArn: orDerive(ids.dlqArn, ids.dlqUrl, () => queueArnFromUrl(dlqUrl, partition)),
      ...(topicArn ? { topicArn } : {}),
      ...(relayDlqUrl ? { relayDlqUrl } : {}),
    });
  }
  const apiUrl = outputs[CELL_OUTPUT_IDS.apiUrl];
  const database = outputs[CELL_OUTPUT_IDS.timestreamDatabase];
  const table = outputs[CELL_OUTPUT_IDS.timestreamTable];
  // The cluster output marks an Aurora cell; then its secret and database must be there too.
  const aurora: AuroraResources | undefined = outputs[AURORA_OUTPUT_IDS.clusterArn]
    ? {
        clusterArn: need(AURORA_OUTPUT_IDS.clusterArn),
        secretArn: need(AURORA_OUTPUT_IDS.secretArn),
        database: need(AURORA_OUTPUT_IDS.database),
      }
    : undefined;
  return {
    cell,
    stackName: stack.stackName,
    stackId: stack.stackId,
    region,
    account,
    partition,
    ...(apiUrl ? { apiUrl } : {}),
    busName,
    busArn: orDerive(
      CELL_OUTPUT_IDS.busArn,
      CELL_OUTPUT_IDS.busName,
      () => `arn:${partition}:events:${region}:${account}:event-bus/${busName}`,
    ),
    archiveName,
    archiveArn: orDerive(
      CELL_OUTPUT_IDS.archiveArn,
      CELL_OUTPUT_IDS.archiveName,
      () => `arn:${partition}:events:${region}:${account}:archive/${archiveName}`,
    ),
    ...(database ? { timestreamDatabase: database } : {}),
    ...(table ? { timestreamTable: table } : {}),
    ...(aurora ? { aurora } : {}),
    // CellAlarms' default prefix is the stack name and a dash.
    alarmNamePrefix: orDerive(CELL_OUTPUT_IDS.alarmNamePrefix, 'the stack name', () => `${stack.stackName}-`),
    stages,
    derived,
    outputs,
  };
}

function isStackMissing(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return e?.name === 'ValidationError' && /does not exist/i.test(e.message ?? '');
}

/**
 * Reads the cell stack's outputs with `DescribeStacks` (through the SDK paginator, though a named
 * stack answers in one page) and builds its {@link CellResources}.
 */
export async function describeCellResources(
  cloudFormation: CloudFormationClient,
  cell: CellDefinition,
  topology: CellTopology,
): Promise<CellResources> {
  const stackName = cellStackName(cell);
  const outputs: Output[] = [];
  let stackId: string | undefined;
  let status: string | undefined;
  try {
    for await (const page of paginateDescribeStacks({ client: cloudFormation }, { StackName: stackName })) {
      for (const stack of page.Stacks ?? []) {
        if (stack.StackName !== stackName) continue;
        stackId = stack.StackId;
        status = stack.StackStatus;
        outputs.push(...(stack.Outputs ?? []));
      }
    }
  } catch (error) {
    if (isStackMissing(error)) {
      throw new NotFoundError(
        `cell ${cell.name}: stack ${stackName} does not exist in ${cell.region} (deploy it with npx cdk deploy ${stackName}, or check the account of your AWS credentials)`,
        { cause: error },
      );
    }
    throw awsError(`cell ${cell.name}: DescribeStacks ${stackName} in ${cell.region}`, error);
  }
  if (!stackId) throw new NotFoundError(`cell ${cell.name}: stack ${stackName} not found in ${cell.region}`);
  if (status?.endsWith('_FAILED') || status === 'DELETE_COMPLETE' || status === 'ROLLBACK_COMPLETE') {
    throw new OpsError(`cell ${cell.name}: stack ${stackName} is ${status}; its outputs cannot be trusted`);
  }
  const byKey: Record<string, string> = {};
  for (const o of outputs) if (o.OutputKey && o.OutputValue !== undefined) byKey[o.OutputKey] = o.OutputValue;
  return resourcesFromOutputs(cell, { stackName, stackId }, byKey, topology);
}
