import { createRelayHandler, defaultRelayDeps } from './create-relay-handler.js';

/**
 * Relay Lambda entry (bundled by the CellStack). Configuration and the SNS client are created once
 * per execution environment, at module load; an incomplete environment fails the cold start.
 *
 * @example
 * new NodejsFunction(this, stage.ids.relay, { entry: 'consumers/aws/lambda/relay-handler.ts', handler: 'handler' });
 */
export const handler = createRelayHandler(defaultRelayDeps(process.env));
