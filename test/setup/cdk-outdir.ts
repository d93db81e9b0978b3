import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

// A CDK `App` without `outdir` synthesizes into `CDK_OUTDIR`, or else into a new temp dir that
// nothing removes (a thousand `cdk.out*` dirs in /tmp after a few runs). One dir per test file,
// removed after it: the file's tests run one after another, so its apps never write it at once.
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitest-cdk.out-'));
process.env.CDK_OUTDIR = outdir;

afterAll(() => {
  fs.rmSync(outdir, { recursive: true, force: true });
});
