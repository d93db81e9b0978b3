import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CellDefinition } from '../../../cells/catalog.js';
import { buildApp, type CellAppContext } from '../../../stacks/app.js';
import { CellStack } from '../../../stacks/cell-stack.js';
import { cdkJsonContext, STUB_LAMBDA_CODE, type SynthesizedCells } from '../cell-fixture.js';

/** Account of the synthesized cells (environment-specific stacks, as `cdk synth` makes them). */
export const TEST_ACCOUNT = '111122223333';

/**
 * Synthesizes cells as `cdk synth -c cells=... -c store=...` does (stub code), into a temporary
 * cloud assembly directory that {@link SynthScratch.cleanup} removes (an `App` without `outdir`
 * leaves `cdk.out*` directories behind).
 *
 * @example
 * const scratch = synthScratch();
 * afterAll(() => scratch.cleanup());
 * const { templates } = scratch.synth({ cells: 'us-west-1', store: 'aurora-postgresql' });
 */
export interface SynthScratch {
  synth(context: CellAppContext, catalog?: readonly CellDefinition[]): SynthesizedCells;
  /** A bare `App` with cdk.json's feature flags, writing under the scratch directory. */
  app(): App;
  cleanup(): void;
}

export function synthScratch(): SynthScratch {
  const root = mkdtempSync(join(tmpdir(), 'aurora-cells-'));
  let runs = 0;
  return {
    synth(context, catalog) {
      runs += 1;
      const app = buildApp(
        { ...cdkJsonContext(), ...context },
        {
          lambdaCode: STUB_LAMBDA_CODE,
          defaultAccount: TEST_ACCOUNT,
          ...(catalog ? { catalog } : {}),
          appProps: { outdir: join(root, String(runs)) },
        },
      );
      const stacks = app.node.children.filter((c): c is CellStack => c instanceof CellStack);
      const templates = new Map(stacks.map((s) => [s.cell.name, Template.fromStack(s)] as const));
      return { stacks, templates };
    },
    app() {
      runs += 1;
      return new App({ context: cdkJsonContext(), outdir: join(root, String(runs)) });
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
