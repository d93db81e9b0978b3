import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY } from '../../../cells/topology.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import { cellRollups, specShapeKey } from '../../../dashboards/rollups/cell-rollups.js';
import { specShapeOf } from '../../../dashboards/rollups/rollup-specs.js';

describe('cellRollups', () => {
  it('finds, by shape, the spec that lists each records panel of the cell dashboards', () => {
    // Prepare
    const rollups = cellRollups(CELL_TOPOLOGY);
    const panels = buildDashboards(CELL_TOPOLOGY)
      .flatMap((d) => d.panels)
      .filter((p) => p.query.source === 'records');

    // Act
    const served = panels.map((p) => {
      if (p.query.source !== 'records') throw new Error('not a records panel');
      return rollups.specsByShape.get(specShapeKey(specShapeOf(p.id, p.query)))?.panelIds.includes(p.id);
    });

    // Assess
    expect(panels.length).toBeGreaterThan(10);
    expect(served.every((s) => s === true)).toBe(true);
  });

  it('derives the rollups once per topology and versions them by their definitions', () => {
    // Act
    const again = cellRollups(CELL_TOPOLOGY);
    const equal = cellRollups(buildTopology());

    // Assess
    expect(again).toBe(cellRollups(CELL_TOPOLOGY));
    expect(equal).not.toBe(again);
    expect(equal.version).toBe(again.version);
    expect([...again.stageOrder]).toEqual(CELL_TOPOLOGY.stages.map((s) => [s.name, s.order]));
  });
});
