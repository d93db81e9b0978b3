/**
 * The loud notice of a test file whose tool is not an npm package (a JRE, cfn-lint): the file then
 * registers only one passing case that prints this, so `npm test` still runs everything else but
 * nobody mistakes the silence for a pass. `.ci/run` installs these tools, so CI always runs them.
 *
 * @example
 * it('needs cfn-lint', () => {
 *   warnMissingTool({ tool: 'cfn-lint', reason, install: 'pip install cfn-lint', notRun: 'cfn-lint' });
 * });
 */
export interface MissingTool {
  /** What is missing, as a reader would name it. */
  readonly tool: string;
  /** Why the probe failed (the error it got). */
  readonly reason: string;
  /** The command that installs it. */
  readonly install: string;
  /** Which checks did not run. */
  readonly notRun: string;
}

/** Prints the banner (to stderr, through console.warn, which vitest shows per test) and returns it. */
export function warnMissingTool(missing: MissingTool): string {
  const rule = '!'.repeat(100);
  const banner = [
    rule,
    `!!! ${missing.tool} IS NOT AVAILABLE: ${missing.notRun} DID NOT RUN.`,
    `!!! reason: ${missing.reason}`,
    `!!! install it with: ${missing.install}`,
    '!!! (.ci/run installs it, so CI always runs these checks.)',
    rule,
  ].join('\n');
  console.warn(banner);
  return banner;
}
