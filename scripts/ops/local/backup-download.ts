import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fsyncDir, fsyncFile, tempNameBeside } from '../../../cells/local/storage/backup-copy.js';
import {
  BackupVerificationError,
  type VerifiedBackup,
  verifyBackupFile,
} from '../../../cells/local/storage/backup-verify.js';
import { BACKUP_HEADERS, type BackupSummary } from '../../../schemas/api/index.js';
import { EXIT_CODES, InterruptedError, OpsError, UsageError } from '../backend.js';
import { renderJson, type VerbContext } from '../output.js';
import { createProgress } from '../progress.js';
import { messageOf } from './answer-fields.js';

/**
 * `invoice-ops backup --local <url> --to <file>` and `invoice-ops backup verify --file <file>`.
 *
 * The download asks the cell for an online backup (`POST /admin/backup`, an operator key), streams
 * it into a temp file beside `--to` with progress on stderr (bytes received of `Content-Length`),
 * checks it arrived whole, fsyncs it, verifies it (`verifyBackupFile`: a cell database of a schema
 * this code can open, `integrity_check` clean), and only then renames it to `--to`. A download that
 * fails any step leaves no file at `--to` and exits 1.
 *
 * @example
 * await runBackupDownload({ base: new URL('http://127.0.0.1:8787'), apiKey, to: 'cell.sqlite', force: false }, ctx);
 */

export interface BackupDownloadRequest {
  readonly base: URL;
  readonly apiKey: string | undefined;
  readonly to: string;
  /** Replace an existing `--to`. */
  readonly force: boolean;
}

const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** The human summary line of a verified backup. */
export function describeBackup(summary: BackupSummary): string {
  return (
    `backup ${summary.file}: ${mib(summary.bytes)} (${summary.bytes} bytes), ${summary.pages} pages, ` +
    `schema ${summary.schemaVersion}, ${summary.seconds.toFixed(1)} s, ` +
    `${summary.verified ? 'verified (integrity_check ok)' : 'NOT verified'}\n`
  );
}

async function requestBackup(request: BackupDownloadRequest, signal: AbortSignal): Promise<Response> {
  const url = new URL('admin/backup', request.base);
  const headers: Record<string, string> = { accept: 'application/vnd.sqlite3, application/json' };
  if (request.apiKey !== undefined) headers['x-api-key'] = request.apiKey;
  try {
    return await fetch(url, { method: 'POST', headers, signal });
  } catch (error) {
    if (signal.aborted) throw new InterruptedError('backup interrupted; nothing was written');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new OpsError(
      `cannot reach the local cell ${request.base.href}: ${cause?.code ?? cause?.message ?? error}`,
    );
  }
}

async function failureOf(response: Response): Promise<OpsError> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const message = `backup refused by the cell: ${messageOf(body)} (HTTP ${response.status})`;
  if (response.status === 401 || response.status === 403) {
    return new OpsError(`${message}; a backup needs an operator key (--api-key or INVOICE_OPS_API_KEY)`);
  }
  return new OpsError(message);
}

/** Streams the body into `temp` with progress; returns the bytes written. */
async function receive(response: Response, temp: string, ctx: VerbContext): Promise<number> {
  const total = Number(response.headers.get('content-length'));
  const progress = createProgress(ctx.io, { label: 'backup' });
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      progress.update({
        value: received,
        ...(total > 0 ? { total } : {}),
        text: total > 0 ? `${mib(received)} / ${mib(total)}` : mib(received),
      });
      callback(null, chunk);
    },
  });
  try {
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    await pipeline(body, counter, fs.createWriteStream(temp, { flags: 'wx' }), { signal: ctx.signal });
  } catch (error) {
    progress.stop();
    if (ctx.signal.aborted) throw new InterruptedError('backup interrupted; nothing was written');
    throw new OpsError(`backup download failed after ${received} bytes: ${(error as Error).message}`);
  }
  progress.stop(`received ${mib(received)}`);
  if (total > 0 && received !== total) {
    throw new OpsError(`backup download truncated: ${received} of ${total} bytes; nothing was written`);
  }
  return received;
}

/** Downloads, verifies and atomically writes the backup; resolves to the exit code. */
export async function runBackupDownload(request: BackupDownloadRequest, ctx: VerbContext): Promise<number> {
  const started = ctx.io.now();
  const to = path.resolve(request.to);
  if (!request.force && fs.existsSync(to)) {
    throw new UsageError(`--to ${to} exists; pick another file or pass --force to replace it`);
  }
  if (!fs.existsSync(path.dirname(to)))
    throw new UsageError(`--to: directory ${path.dirname(to)} does not exist`);
  const response = await requestBackup(request, ctx.signal);
  if (response.status !== 200) throw await failureOf(response);
  const temp = tempNameBeside(to);
  try {
    await receive(response, temp, ctx);
    fsyncFile(temp);
    const verified = verifyBackupFile(temp);
    const advertised = Number(response.headers.get(BACKUP_HEADERS.pages));
    if (advertised > 0 && advertised !== verified.pages) {
      throw new OpsError(
        `the backup holds ${verified.pages} pages where the cell sent ${advertised}; nothing was written`,
      );
    }
    fs.renameSync(temp, to);
    fsyncDir(path.dirname(to));
    return printSummary({ ...verified, file: to }, started, ctx);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    if (error instanceof BackupVerificationError) {
      throw new OpsError(`the downloaded backup failed verification; nothing was written: ${error.message}`);
    }
    throw error;
  }
}

/** Prints what a verified backup holds (JSON with `--json`); exit code ok. */
function printSummary(verified: VerifiedBackup, started: number, ctx: VerbContext): number {
  const summary: BackupSummary = {
    file: verified.file,
    bytes: verified.bytes,
    pages: verified.pages,
    schemaVersion: verified.schemaVersion,
    seconds: (ctx.io.now() - started) / 1000,
    verified: true,
  };
  ctx.io.stdout(ctx.json ? renderJson(summary) : describeBackup(summary));
  return EXIT_CODES.ok;
}

/** `backup verify --file`: verifies a backup file, prints what it holds; exit 1 with the reason if not. */
export function runBackupVerify(file: string, ctx: VerbContext): number {
  const started = ctx.io.now();
  try {
    const verified = verifyBackupFile(path.resolve(file));
    return printSummary(verified, started, ctx);
  } catch (error) {
    if (error instanceof BackupVerificationError) throw new OpsError(error.message);
    throw error;
  }
}
