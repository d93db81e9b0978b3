import { createHash } from 'node:crypto';
import type { CellTopology } from '../../cells/topology.js';
import { rollupDashboards } from '../panels/report-panels.js';
import { type Rollups, rollupsOf } from './apply-record.js';
import { canonicalJson, type RollupSpec } from './rollup-specs.js';

/**
 * The rollups a cell database keeps: those of the cell's own dashboards (`buildDashboards`) and of
 * the hidden monthly-report panels (`rollupDashboards`, `report-panels.ts`), derived
 * once per topology and shared by the writer hook (`rollup-writer.ts`) and the panel runner, so the
 * tables written and the panels read can never follow two different definitions.
 *
 * @example
 * const { specs, scopes, version } = cellRollups(topology);
 */

/**
 * How `rollup-writer.ts` encodes rows in the migration-5 tables. Part of {@link CellRollups.version}:
 * changing the encoding makes the backfill rebuild the tables.
 */
export const ROLLUP_TABLE_FORMAT = 1;

/** A cell's rollups, their version and a lookup of specs by shape. */
export interface CellRollups extends Rollups {
  /** Hash of the spec and scope ids (each id hashes its whole definition) and the table format. */
  readonly version: string;
  /** Spec by {@link specShapeKey}: which rollup serves a panel query. */
  readonly specsByShape: ReadonlyMap<string, RollupSpec>;
  /** Stage positions of the topology, so panel rows come in pipeline order. */
  readonly stageOrder: ReadonlyMap<string, number>;
}

const cache = new WeakMap<CellTopology, CellRollups>();

/**
 * The canonical text of a spec's shape (its definition without id, tiers and panels): equal for a
 * spec and for every panel query it serves (`specShapeOf`).
 *
 * @example
 * specShapeKey(specShapeOf(panel.id, panel.query)) === specShapeKey(spec);
 */
export function specShapeKey(shape: object): string {
  const { id: _id, tiers: _tiers, panelIds: _panelIds, ...rest } = shape as Partial<RollupSpec>;
  return canonicalJson(rest);
}

/**
 * The rollups of the cell's dashboards, derived once per topology object. Pure but for the cache.
 *
 * @example
 * cellRollups(CELL_TOPOLOGY).specs.length; // 13 with the default dashboards and the report panels
 */
export function cellRollups(topology: CellTopology): CellRollups {
  const cached = cache.get(topology);
  if (cached) return cached;
  const rollups = rollupsOf(rollupDashboards(topology));
  const definition = {
    format: ROLLUP_TABLE_FORMAT,
    specs: rollups.specs.map((s) => s.id),
    scopes: rollups.scopes.map((s) => s.id),
  };
  const built: CellRollups = {
    ...rollups,
    version: createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 16),
    specsByShape: new Map(rollups.specs.map((s) => [specShapeKey(s), s])),
    stageOrder: new Map(topology.stages.map((s) => [s.name, s.order])),
  };
  cache.set(topology, built);
  return built;
}
