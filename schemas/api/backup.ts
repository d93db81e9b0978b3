import { type Static, Type } from 'typebox';

/**
 * `POST /admin/backup` (operator role): the answer is not JSON but the backup itself, a SQLite
 * database file (`application/vnd.sqlite3`, with `Content-Length`), taken online with SQLite's
 * backup API while the cell keeps serving. Its facts travel in response headers, so a client can
 * show progress and check what it received before it reads the body. Errors are the usual JSON
 * error body (409 while another backup runs).
 *
 * `invoice-ops backup --to <file>` downloads it, verifies it and prints a
 * {@link BackupSummary} (`--json`).
 *
 * @example
 * const res = await fetch(`${url}/admin/backup`, { method: 'POST', headers: { 'x-api-key': key } });
 * const pages = Number(res.headers.get(BACKUP_HEADERS.pages));
 */

/** The media type of a SQLite database file (IANA). */
export const BACKUP_CONTENT_TYPE = 'application/vnd.sqlite3';

/** Response headers of a 200 answer of `POST /admin/backup` (lower case, as fetch reads them). */
export const BACKUP_HEADERS = {
  /** Database pages in the copy. */
  pages: 'x-backup-pages',
  /** `PRAGMA user_version` of the copy: the schema version of the cell that took it. */
  schemaVersion: 'x-backup-schema-version',
  /** How long the online copy took on the cell, in milliseconds. */
  durationMs: 'x-backup-duration-ms',
} as const;

/** What `invoice-ops backup` (and `backup verify`) prints with `--json`. */
export const BackupSummarySchema = Type.Object({
  /** The backup file (absolute path). */
  file: Type.String(),
  bytes: Type.Number(),
  pages: Type.Number(),
  schemaVersion: Type.Number(),
  /** Wall-clock seconds of the whole command (download and verification included). */
  seconds: Type.Number(),
  /** The file passed `integrity_check` and is a cell database of a schema this code can open. */
  verified: Type.Boolean(),
});
/** What `invoice-ops backup` prints with `--json`. */
export type BackupSummary = Static<typeof BackupSummarySchema>;
