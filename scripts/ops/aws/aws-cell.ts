import type { CellDefinition } from '../../../cells/catalog.js';
import type { CellTopology, StageTopology } from '../../../cells/topology.js';
import { DataApiExecutor } from '../../../consumers/aws/data-api-executor.js';
import { OpsError } from '../backend.js';
import type { AwsClients } from './aws-clients.js';
import type { CellResources, StageResources } from './cell-resources.js';

/**
 * What every AWS verb module works with: the cell, its topology, the SDK clients, the clock, and
 * the cell's resources (described once per run by `AwsBackend`). Verb modules are functions of an
 * `AwsCell`, so each can be read and tested on its own.
 *
 * @example
 * const r = await stageResources(cell, stage);
 * const depth = await queueDepth(cell.clients.sqs, r.dlqUrl);
 */
export interface AwsCell {
  readonly cell: CellDefinition;
  readonly topology: CellTopology;
  readonly clients: AwsClients;
  /** Between progress polls (DescribeReplay, ListMessageMoveTasks). */
  readonly pollMs: number;
  /** How far back business-stuck invoices are searched (Timestream scans cost by data). */
  readonly stuckLookbackSec: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The cell's resources, described once. */
  resources(): Promise<CellResources>;
}

/** One stage's queues; {@link OpsError} when the stack has none for it. */
export async function stageResources(aws: AwsCell, stage: StageTopology): Promise<StageResources> {
  const resources = await aws.resources();
  const found = resources.stages.get(stage.name);
  if (!found) throw new OpsError(`${resources.stackName} has no resources for stage ${stage.name}`);
  return found;
}

/** The cell's Timestream table; {@link OpsError} when the stack predates its outputs. */
export async function timestreamTable(aws: AwsCell): Promise<{ database: string; table: string }> {
  const r = await aws.resources();
  if (!r.timestreamDatabase || !r.timestreamTable) {
    throw new OpsError(`${r.stackName} has no TimestreamDatabase/TimestreamTable outputs; redeploy the cell`);
  }
  return { database: r.timestreamDatabase, table: r.timestreamTable };
}

/** An Aurora cell's store, read through the Data API. */
export interface AuroraTarget {
  readonly executor: DataApiExecutor;
  /** For messages: `database invoices on <cluster ARN>`. */
  readonly label: string;
}

/**
 * The Data API target of an Aurora cell (its stack has an `AuroraClusterArn` output), or
 * `undefined` for a Timestream cell. The executor uses the CLI's `rdsData` client.
 */
export async function auroraTarget(aws: AwsCell): Promise<AuroraTarget | undefined> {
  const { aurora } = await aws.resources();
  if (!aurora) return undefined;
  return {
    executor: new DataApiExecutor({
      resourceArn: aurora.clusterArn,
      secretArn: aurora.secretArn,
      database: aurora.database,
      client: aws.clients.rdsData,
    }),
    label: `database ${aurora.database} on ${aurora.clusterArn}`,
  };
}

/** Waits one poll interval; an abort ends the wait early (the caller checks the signal and cancels). */
export async function pausePoll(aws: AwsCell, signal: AbortSignal | undefined): Promise<void> {
  try {
    await aws.sleep(aws.pollMs, signal);
  } catch {
    // Aborted: the caller checks the signal and cancels.
  }
}
