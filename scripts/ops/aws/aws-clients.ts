import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';

/**
 * The SDK clients a deployed cell is operated through. Injected, so tests pass clients that
 * aws-sdk-client-mock intercepts; the CLI builds them for the cell's region.
 *
 * @example
 * const backend = new AwsBackend({ cell, topology, clients: createAwsClients(cell.region) });
 */
export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly timestreamQuery: TimestreamQueryClient;
  /** Only to construct the shared `TimestreamStore` (the CLI never writes). */
  readonly timestreamWrite: TimestreamWriteClient;
  /** Aurora cells: the Data API (timeline, stuck, reconcile read the store through it). */
  readonly rdsData: RDSDataClient;
}

/** Builds AWS SDK clients for a region, with the SDK's default credential chain. */
export function createAwsClients(region: string): AwsClients {
  const config = { region, maxAttempts: 5 };
  return {
    cloudFormation: new CloudFormationClient(config),
    eventBridge: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    cloudWatch: new CloudWatchClient(config),
    timestreamQuery: new TimestreamQueryClient(config),
    timestreamWrite: new TimestreamWriteClient(config),
    // No SDK retries: `DataApiExecutor` retries what is safe to run again itself.
    rdsData: new RDSDataClient({ region, maxAttempts: 1 }),
  };
}
