import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { cellStackName, DEFAULT_CATALOG } from '../../../cells/catalog.js';
import { PROJECT_ROOT } from '../../support/project-root.js';

/**
 * Drives the two command-line tools of the cfn-lint test: the CDK CLI (`cdk synth` of the real app,
 * as cdk.json runs it, bundles included) and cfn-lint, a Python tool that is not in the npm
 * registry — {@link probeCfnLint} reports it missing instead of throwing. cfn-lint reads
 * `.cfnlintrc.yaml` from the project root, where it runs.
 *
 * @example
 * const templates = await synthApp(outDir, { quicksight: 'false' });
 * const findings = await runCfnLint(templates.filter((t) => t.region === 'us-east-1'), 'us-east-1');
 */

const run = promisify(execFile);
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The version the machine image and .ci/run install; the config was checked with it. */
export const CFN_LINT_INSTALL_COMMAND = 'pip install cfn-lint==1.51.0';

/** Either cfn-lint's version line or why it cannot run. */
export type CfnLintProbe = { readonly version: string } | { readonly unavailable: string };

export async function probeCfnLint(): Promise<CfnLintProbe> {
  try {
    const { stdout } = await run('cfn-lint', ['--version'], { cwd: PROJECT_ROOT });
    return { version: stdout.trim() };
  } catch (error) {
    const { message, stderr } = error as Error & { stderr?: string };
    return { unavailable: `cfn-lint --version failed: ${(stderr ?? '').trim() || message}` };
  }
}

/** A synthesized cell template. */
export interface SynthesizedTemplate {
  readonly path: string;
  /** `InvoiceCell-us-east-1` */
  readonly stackName: string;
  /** The region of the catalog cell the stack belongs to. */
  readonly region: string;
}

/**
 * `npx cdk synth --quiet -o outDir -c key=value…` of the real app (the whole default catalog);
 * every `*.template.json` written, with its cell's region.
 */
export async function synthApp(
  outDir: string,
  context: Readonly<Record<string, string>>,
): Promise<SynthesizedTemplate[]> {
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  await run('npx', ['cdk', 'synth', '--quiet', '-o', outDir, ...contextArgs], {
    cwd: PROJECT_ROOT,
    maxBuffer: MAX_OUTPUT_BYTES,
  });
  return readdirSync(outDir)
    .filter((file) => file.endsWith('.template.json'))
    .sort()
    .map((file) => {
      const stackName = basename(file, '.template.json');
      const cell = DEFAULT_CATALOG.find((c) => cellStackName(c) === stackName);
      if (cell === undefined) throw new Error(`${stackName} is not a stack of the default catalog`);
      return { path: join(outDir, file), stackName, region: cell.region };
    });
}

/** One cfn-lint finding (its `--format json` record, the fields the test reads). */
export interface CfnLintFinding {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Start: { readonly LineNumber: number } };
}

/**
 * Lints templates against the region they deploy to (so a type missing in another region is not
 * reported). cfn-lint's exit code is a bit mask of the levels found (2 errors, 4 warnings,
 * 8 informational); anything else, or output that is not its JSON, is a crash and throws.
 */
export async function runCfnLint(
  templates: readonly SynthesizedTemplate[],
  region: string,
): Promise<CfnLintFinding[]> {
  const args = ['--format', 'json', '--regions', region, '--', ...templates.map((t) => t.path)];
  let stdout: string;
  try {
    ({ stdout } = await run('cfn-lint', args, { cwd: PROJECT_ROOT, maxBuffer: MAX_OUTPUT_BYTES }));
  } catch (error) {
    const failure = error as Error & { code?: number; stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number' || (failure.code & ~14) !== 0 || failure.stdout === undefined) {
      throw new Error(`cfn-lint crashed (${failure.code}): ${failure.stderr ?? failure.message}`);
    }
    stdout = failure.stdout;
  }
  return JSON.parse(stdout) as CfnLintFinding[];
}

/** `W3005 message (InvoiceCell-us-east-1.template.json:875)` */
export function describeFinding(finding: CfnLintFinding): string {
  return `${finding.Rule.Id} ${finding.Message} (${basename(finding.Filename)}:${finding.Location.Start.LineNumber})`;
}
