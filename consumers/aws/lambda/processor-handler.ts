import { createProcessorHandler, defaultProcessorDeps } from './create-processor-handler.js';

/**
 * Stage processor Lambda entry (bundled by the CellStack). Configuration and the Timestream clients
 * are created once per execution environment, at module load; an incomplete environment fails the
 * cold start instead of every batch.
 *
 * @example
 * new NodejsFunction(this, stage.ids.processor, { entry: 'consumers/aws/lambda/processor-handler.ts', handler: 'handler' });
 */
export const handler = createProcessorHandler(defaultProcessorDeps(process.env));
