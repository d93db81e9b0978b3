import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile, tempNameBeside } from '../../cells/local/storage/backup-copy.js';
import { EXIT_CODES, type MonthlyReportRequest, type OpsBackend, UsageError } from './backend.js';
import type { VerbContext } from './output.js';

/**
 * `invoice-ops report --month YYYY-MM [--format html|json|csv] [--out <file>]`: one month's report
 * from the target cell, as the cell renders it. Without `--out` the document goes to stdout as is
 * (JSON by default, so `| jq` works); with `--out` it is written under a temp name beside the file
 * and renamed (a reader never sees half a report) and one line on stderr says what was written.
 *
 * @example
 * await runMonthlyReport(backend, { month: '2026-10', format: 'json' }, undefined, ctx);
 */
export async function runMonthlyReport(
  backend: OpsBackend,
  request: MonthlyReportRequest,
  out: string | undefined,
  ctx: VerbContext,
): Promise<number> {
  const file = out === undefined ? undefined : checkedOut(out);
  const document = await backend.report(request);
  if (file === undefined) {
    ctx.io.stdout(document.body.endsWith('\n') ? document.body : `${document.body}\n`);
    return EXIT_CODES.ok;
  }
  const bytes = writeAtomically(file, document.body);
  const origin = document.stored === false ? 'generated now, not stored' : 'stored by the cell';
  ctx.io.stderr(
    `report ${document.month} (${document.format}, ${origin}) from ${backend.target}: ${bytes} bytes written to ${file}\n`,
  );
  return EXIT_CODES.ok;
}

/** `--out` resolved; its directory must exist (checked before the cell is asked). */
function checkedOut(out: string): string {
  const file = path.resolve(out);
  if (!fs.existsSync(path.dirname(file))) {
    throw new UsageError(`--out: directory ${path.dirname(file)} does not exist`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new UsageError(`--out ${file} is a directory; name a file`);
  }
  return file;
}

function writeAtomically(file: string, text: string): number {
  const temp = tempNameBeside(file);
  const data = Buffer.from(text, 'utf8');
  try {
    fs.writeFileSync(temp, data, { flag: 'wx', mode: 0o600 });
    fsyncFile(temp);
    fs.renameSync(temp, file);
    fsyncDir(path.dirname(file));
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  return data.length;
}
