import type { CellDefinition } from '../../../cells/catalog.js';
import type { CellTopology } from '../../../cells/topology.js';
import { AwsBackend } from '../aws/aws-backend.js';
import { createAwsClients } from '../aws/aws-clients.js';
import { resolveCell } from '../aws/cell-resources.js';
import { type OpsBackend, UsageError } from '../backend.js';
import { LocalBackend } from '../local/local-backend.js';
import { API_KEY_ENV, type CliContext } from './cli-context.js';

/** The options every cell verb takes: where it acts and how it prints. */
export interface TargetOptions {
  local?: string;
  cell?: string;
  apiKey?: string;
  json: boolean;
}

/**
 * The backend of a verb's target: a local cell with `--local <url>` (key from `--api-key` or the
 * environment), a deployed cell with `--cell <name>`; {@link UsageError} for both or neither.
 *
 * @example
 * const backend = backendForTarget({ cell: 'us-east-1', json: false }, context, CELL_TOPOLOGY, DEFAULT_CATALOG);
 */
export function backendForTarget(
  opts: TargetOptions,
  context: CliContext,
  topology: CellTopology,
  catalog: readonly CellDefinition[],
): OpsBackend {
  if (opts.local !== undefined && opts.cell !== undefined) {
    throw new UsageError('--local and --cell are exclusive: pick one target');
  }
  const poll = context.pollIntervalMs !== undefined ? { pollIntervalMs: context.pollIntervalMs } : {};
  if (opts.local !== undefined) {
    const url = localUrl(opts.local);
    const apiKey = opts.apiKey ?? context.env[API_KEY_ENV];
    return new LocalBackend({
      baseUrl: url.toString(),
      topology,
      ...(apiKey ? { apiKey } : {}),
      ...poll,
      now: context.io.now,
    });
  }
  if (opts.cell !== undefined) {
    const cell = resolveCell(opts.cell, catalog);
    return new AwsBackend({
      cell,
      topology,
      clients: (context.createAwsClients ?? createAwsClients)(cell.region),
      ...poll,
      now: context.io.now,
    });
  }
  throw new UsageError('no target: pass --local <url> (a local cell) or --cell <name> (a deployed cell)');
}

/** `--local`'s URL, checked: http(s) only; {@link UsageError} otherwise. */
export function localUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--local must be a URL like http://127.0.0.1:8787, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--local must be an http(s) URL, got "${text}"`);
  }
  return url;
}
