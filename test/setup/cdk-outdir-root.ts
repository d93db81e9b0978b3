import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Global setup (main process): one temp root for the CDK apps of this run, removed at its end.
 * Workers inherit `VITEST_CDK_OUTDIR_ROOT`; `cdk-outdir.ts` points each worker's apps into it.
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vitest-cdk.out-'));
  process.env.VITEST_CDK_OUTDIR_ROOT = root;
  return () => fs.rmSync(root, { recursive: true, force: true });
}
