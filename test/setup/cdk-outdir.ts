import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A CDK `App` without `outdir` synthesizes into `CDK_OUTDIR`, or else into a new temp dir that
// nothing removes (a thousand `cdk.out*` dirs in /tmp after a few runs). One dir per test worker
// process under the run's root (`cdk-outdir-root.ts`, removed when the run ends): never removed
// during the run, since a worker runs file after file and a file's apps synthesize until its end.
const root = process.env.VITEST_CDK_OUTDIR_ROOT ?? path.join(os.tmpdir(), 'vitest-cdk.out');
const outdir = path.join(root, String(process.pid));
fs.mkdirSync(outdir, { recursive: true });
process.env.CDK_OUTDIR = outdir;
