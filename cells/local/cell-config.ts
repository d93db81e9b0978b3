import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CellTopology } from '../topology.js';

/**
 * The local cell's small configuration rules, apart from the composition root: where data lives by
 * default, which binds count as loopback, and the CLI's per-stage overrides. Pure.
 *
 * @example
 * const topology = applyStageOverrides(CELL_TOPOLOGY, { visibilityTimeoutSec: 1 });
 */

/** `data/local-cell` inside the project (git-ignored). */
export function defaultDataDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'local-cell');
}

/**
 * Whether reads stay open without a key: only on the loopback addresses a cell is started on
 * (`127.0.0.1`, `::1`, `localhost`). Any other bind needs keys, other 127/8 addresses included: the
 * safe side, and it lets tests exercise an exposed cell on 127.0.0.2 of a machine without a LAN.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '127.0.0.1';
}

/**
 * The topology with the CLI's per-cell overrides applied to every stage. A shorter visibility
 * timeout also caps the processor timeout (the poller's per-batch deadline), so a batch never
 * outlives its messages' invisibility and two batches of one invoice never run at once.
 */
export function applyStageOverrides(
  topology: CellTopology,
  overrides: { visibilityTimeoutSec?: number; maxReceiveCount?: number },
): CellTopology {
  const vt = overrides.visibilityTimeoutSec;
  if (vt !== undefined && !(Number.isInteger(vt) && vt >= 1)) {
    throw new RangeError(`visibilityTimeoutSec must be a positive integer, got ${vt}`);
  }
  return {
    settings: topology.settings,
    stages: topology.stages.map((stage) => ({
      ...stage,
      ...(vt !== undefined
        ? { visibilityTimeoutSec: vt, processorTimeoutSec: Math.min(stage.processorTimeoutSec, vt) }
        : {}),
      ...(overrides.maxReceiveCount !== undefined ? { maxReceiveCount: overrides.maxReceiveCount } : {}),
    })),
  };
}
