import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { assertRegionSupported, type CellDefinition } from '../cells/catalog.js';
import type { CellTopology } from '../cells/topology.js';
import { CELL_OUTPUT_IDS, stageOutputIds } from './cell-outputs.js';
import { LogsKey } from './encryption.js';
import { EventRouting } from './event-routing.js';
import { IngestApi } from './ingest-api.js';
import type { LambdaCodeProvider } from './lambda-code.js';
import { StageConsumer } from './stage-consumer.js';
import { TimeseriesStore } from './timeseries-store.js';

export interface CellStackProps extends StackProps {
  readonly cell: CellDefinition;
  /** The cell's topology (`buildTopology(cell.overrides)`); the stack names no stage itself. */
  readonly topology: CellTopology;
  readonly lambdaCode: LambdaCodeProvider;
  /** Reserved for the QuickSight dashboards (DESIGN §6); nothing reads it yet. */
  readonly quicksight?: boolean;
  readonly logRetention?: logs.RetentionDays;
}

/** Construct ids of the cell's parts; part of every logical id, so never rename them. */
export const CELL_CONSTRUCT_IDS = {
  logsKey: 'LogsKey',
  store: 'Store',
  routing: 'Routing',
  api: 'Api',
} as const;

/**
 * One cell: ingest API → event bus + archive → per stage relay → FIFO topic → FIFO queue + DLQ →
 * processor → Timestream. Only wires the constructs and publishes the outputs the ops CLI reads
 * (ids in `cell-outputs.ts`); every stage comes from the topology.
 *
 * @example
 * new CellStack(app, `InvoiceCell-${cell.name}`, {
 *   env: { account: cell.account, region: cell.region },
 *   cell, topology: buildTopology(cell.overrides), lambdaCode: bundledLambdaCode(),
 * });
 */
export class CellStack extends Stack {
  readonly cell: CellDefinition;
  readonly store: TimeseriesStore;
  readonly consumers: readonly StageConsumer[];
  readonly routing: EventRouting;
  readonly api: IngestApi;
  readonly quicksight: boolean;

  constructor(scope: Construct, id: string, props: CellStackProps) {
    const { cell, topology, lambdaCode, quicksight, logRetention: retention, ...stackProps } = props;
    super(scope, id, {
      ...stackProps,
      description: stackProps.description ?? `Invoice event monitoring cell ${cell.name} (${cell.region})`,
    });
    assertRegionSupported(cell);
    if (this.region !== cell.region) {
      throw new Error(
        `cell stack ${id}: env.region must be the cell region ${cell.region}, got ${this.region}`,
      );
    }
    this.cell = cell;
    this.quicksight = quicksight ?? false;
    const logRetention = retention ? { logRetention: retention } : {};
    Tags.of(this).add('invoice-cell', cell.name);

    const logsKey = new LogsKey(this, CELL_CONSTRUCT_IDS.logsKey).key;

    this.store = new TimeseriesStore(this, CELL_CONSTRUCT_IDS.store, { settings: topology.settings });

    this.consumers = topology.stages.map(
      (stage) =>
        new StageConsumer(this, stage.ids.consumer, {
          stage,
          settings: topology.settings,
          cellName: cell.name,
          store: this.store,
          processorCode: lambdaCode.processor(),
          logsKey,
          ...logRetention,
        }),
    );

    this.routing = new EventRouting(this, CELL_CONSTRUCT_IDS.routing, {
      settings: topology.settings,
      stages: this.consumers.map((c) => ({ stage: c.stage, topic: c.topic, topicKey: c.topicKey })),
      relayCode: () => lambdaCode.relay(),
      logsKey,
      ...logRetention,
    });

    this.api = new IngestApi(this, CELL_CONSTRUCT_IDS.api, {
      topology,
      bus: this.routing.bus,
      logsKey,
      ...logRetention,
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out(
      CELL_OUTPUT_IDS.apiUrl,
      this.api.api.url,
      'Invoke URL; POST invoices/{stage} under it (IAM SigV4 + x-api-key)',
    );
    out(
      CELL_OUTPUT_IDS.usagePlanId,
      this.api.usagePlan.usagePlanId,
      'Usage plan producer API keys are attached to',
    );
    out(CELL_OUTPUT_IDS.busName, this.routing.bus.eventBusName, 'Event bus of the cell');
    out(CELL_OUTPUT_IDS.busArn, this.routing.bus.eventBusArn, 'Event bus ARN');
    out(
      CELL_OUTPUT_IDS.busDlqUrl,
      this.routing.busDlq.queueUrl,
      'Events the bus could not encrypt or decrypt',
    );
    out(CELL_OUTPUT_IDS.archiveName, this.routing.archive.archiveName, 'Archive of every accepted event');
    out(
      CELL_OUTPUT_IDS.archiveArn,
      this.routing.archive.archiveArn,
      'Archive ARN (StartReplay EventSourceArn is the bus)',
    );
    out(CELL_OUTPUT_IDS.timestreamDatabase, this.store.databaseName, 'Timestream database');
    out(CELL_OUTPUT_IDS.timestreamTable, this.store.tableName, 'Timestream table');
    out(
      CELL_OUTPUT_IDS.rejectedDataBucket,
      this.store.rejectedDataBucket.bucketName,
      'Timestream rejected-record reports',
    );
    for (const consumer of this.consumers) {
      const ids = stageOutputIds(consumer.stage);
      const route = this.routing.routes.find((r) => r.stage.name === consumer.stage.name);
      if (!route) throw new Error(`cell stack: no route for stage ${consumer.stage.name}`);
      const name = consumer.stage.name;
      out(ids.queueUrl, consumer.queue.queueUrl, `${name} FIFO queue`);
      out(ids.queueArn, consumer.queue.queueArn, `${name} FIFO queue ARN (redrive destination)`);
      out(ids.dlqUrl, consumer.dlq.queueUrl, `${name} FIFO DLQ`);
      out(ids.dlqArn, consumer.dlq.queueArn, `${name} FIFO DLQ ARN (redrive source)`);
      out(ids.topicArn, consumer.topic.topicArn, `${name} FIFO topic`);
      out(ids.relayDlqUrl, route.relayDlq.queueUrl, `${name} relay DLQ (bus events not published)`);
      out(ids.relayDlqArn, route.relayDlq.queueArn, `${name} relay DLQ ARN`);
    }
  }
}
