import type { CellDefinition } from '../../../cells/catalog.js';
import type { CellTopology } from '../../../cells/topology.js';
import type { AwsClients } from '../aws/aws-clients.js';
import type { OpsIo } from '../output.js';

/**
 * What `runCli` needs from its caller: output, environment, the Ctrl-C signal, and (for tests)
 * the AWS clients, topology, catalog and poll interval.
 *
 * @example
 * await runCli(['stuck', '--local', url], { io, env: process.env, signal: controller.signal });
 */
export interface CliContext {
  readonly io: OpsIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
  /** AWS clients for a region; tests pass clients that aws-sdk-client-mock intercepts. */
  readonly createAwsClients?: (region: string) => AwsClients;
  readonly topology?: CellTopology;
  readonly catalog?: readonly CellDefinition[];
  /** Between progress polls; the backends' defaults when absent. */
  readonly pollIntervalMs?: number;
}

/** Env var holding the local cell's producer key, so it need not appear in `ps` or shell history. */
export const API_KEY_ENV = 'INVOICE_OPS_API_KEY';
