import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cellStackName, DEFAULT_CATALOG } from '../../cells/catalog.js';
import { warnMissingTool } from '../support/missing-tool.js';
import {
  CFN_LINT_INSTALL_COMMAND,
  type CfnLintFinding,
  describeFinding,
  probeCfnLint,
  runCfnLint,
  synthApp,
} from './cfn-lint/cfn-lint-runner.js';

/**
 * cfn-lint over every template the real app synthesizes (`cdk synth`, bundles included), on
 * Timestream with the QuickSight dashboards off and on, and on Aurora with them on: zero errors. Warnings do not fail the test but are printed, so
 * nobody loses sight of them. The one silenced false positive is explained in `.cfnlintrc.yaml`.
 */

const probe = await probeCfnLint();

/** Two `cdk synth` runs (esbuild bundles each time) plus cfn-lint, on a shared 2-core machine. */
const SYNTH_AND_LINT_TIMEOUT_MS = 600_000;

const PRINCIPALS = 'arn:aws:quicksight:us-east-1:111111111111:user/default/someone';

/** Each store with QuickSight off and on: every template the combinations produce. */
const VARIANTS = [
  {
    name: 'timestream, QuickSight off',
    store: 'timestream',
    hasQuickSight: false,
    context: { quicksight: 'false' },
  },
  {
    name: 'timestream, QuickSight on',
    store: 'timestream',
    hasQuickSight: true,
    context: { quicksight: 'true', quicksightPrincipals: PRINCIPALS },
  },
  {
    name: 'aurora-postgresql, QuickSight on',
    store: 'aurora-postgresql',
    hasQuickSight: true,
    context: { store: 'aurora-postgresql', quicksight: 'true', quicksightPrincipals: PRINCIPALS },
  },
] as const;

/** Per template `N errors, M warnings`, then each distinct warning once with the templates it is in. */
function report(variant: string, templates: readonly string[], findings: readonly CfnLintFinding[]): string {
  const lines = [`cfn-lint, ${variant}:`];
  for (const template of templates) {
    const own = findings.filter((f) => basename(f.Filename) === basename(template));
    const count = (level: CfnLintFinding['Level']) => own.filter((f) => f.Level === level).length;
    lines.push(`  ${basename(template)}: ${count('Error')} errors, ${count('Warning')} warnings`);
  }
  const warnings = new Map<string, string[]>();
  for (const finding of findings.filter((f) => f.Level !== 'Error')) {
    const key = `${finding.Level} ${finding.Rule.Id} ${finding.Message}`;
    warnings.set(key, [...(warnings.get(key) ?? []), basename(finding.Filename, '.template.json')]);
  }
  for (const [warning, where] of warnings) lines.push(`  ${warning} [${where.join(', ')}]`);
  return lines.join('\n');
}

describe('cfn-lint over every synthesized cell template', () => {
  if ('unavailable' in probe) {
    // cfn-lint is a Python tool, not an npm package: say so loudly, keep the rest of `npm test`.
    it('needs cfn-lint', () => {
      const banner = warnMissingTool({
        tool: 'cfn-lint',
        reason: probe.unavailable,
        install: CFN_LINT_INSTALL_COMMAND,
        notRun: 'cfn-lint over the synthesized CloudFormation templates',
      });
      expect(banner).toContain(CFN_LINT_INSTALL_COMMAND);
    });
    return;
  }
  const outRoot = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it.each(VARIANTS)(
    'reports no error in any catalog cell: $name',
    async ({ name, store, hasQuickSight, context }) => {
      // Prepare
      const templates = await synthApp(join(outRoot, name.replace(/[^a-z]+/g, '-')), context);

      // Act: each template against the region it deploys to
      const findings: CfnLintFinding[] = [];
      for (const region of new Set(templates.map((t) => t.region))) {
        findings.push(
          ...(await runCfnLint(
            templates.filter((t) => t.region === region),
            region,
          )),
        );
      }

      // Assess
      console.warn(
        `${probe.version}\n${report(
          name,
          templates.map((t) => t.path),
          findings,
        )}`,
      );
      expect(templates.map((t) => t.stackName)).toEqual(DEFAULT_CATALOG.map(cellStackName).sort());
      expect(findings.filter((f) => f.Level === 'Error').map(describeFinding)).toEqual([]);
      for (const template of templates) {
        // The variant is real: the context reached the app.
        const text = readFileSync(template.path, 'utf8');
        expect(text.includes('"AWS::QuickSight::')).toBe(hasQuickSight);
        expect(text.includes('"AWS::RDS::DBCluster"')).toBe(store === 'aurora-postgresql');
      }
    },
    SYNTH_AND_LINT_TIMEOUT_MS,
  );
});
