import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { BACKUP_CONTENT_TYPE, BACKUP_HEADERS } from '../../../schemas/api/index.js';
import type { Logger } from '../logger.js';
import { BackupInProgressError, type CellBackups } from '../storage/backup-service.js';
import { contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';

/**
 * `POST /admin/backup` (operator keys): an online, consistent copy of the cell database, taken
 * with SQLite's backup API in a worker while the cell keeps serving (`storage/backup-service.ts`),
 * written to a temp file inside the data dir (same filesystem), streamed to the client with
 * `Content-Length` and its facts in `x-backup-*` headers (`schemas/api/backup.ts`), and deleted
 * once the stream closes (sent, or the client went away). 409 while another backup runs.
 *
 * POST, not GET: a backup costs a full read of the database and as much temporary disk, so it is
 * an operator action, not a read a crawler or a prefetch may trigger.
 *
 * @example
 * registerBackupRoutes(app, { backups, logger });
 */

export interface BackupRouteDeps {
  readonly backups: CellBackups;
  readonly logger: Logger;
}

export function registerBackupRoutes(app: FastifyInstance, deps: BackupRouteDeps): void {
  // The answer is a file, which the contract does not type (it lists only the JSON error
  // answers): on the untyped instance, like /metrics.
  app.route({
    ...contractRoute('backup'),
    handler: async (_request, reply) => {
      let snapshot: Awaited<ReturnType<CellBackups['snapshot']>>;
      try {
        snapshot = await deps.backups.snapshot();
      } catch (error) {
        if (error instanceof BackupInProgressError) throw new HttpError(409, error.message);
        throw error;
      }
      const { file, bytes, pages, schemaVersion, durationMs } = snapshot;
      deps.logger.info('backup taken for download', { bytes, pages, durationMs });
      let stream: fs.ReadStream;
      try {
        stream = fs.createReadStream(file);
      } catch (error) {
        snapshot.discard();
        throw error;
      }
      // 'close' comes after the last byte was read, on an error, and when fastify destroys the
      // stream because the client went away: the temp file never outlives the answer.
      stream.on('close', () => snapshot.discard());
      return reply
        .type(BACKUP_CONTENT_TYPE)
        .header('content-length', String(bytes))
        .header('content-disposition', 'attachment; filename="cell-backup.sqlite"')
        .header('cache-control', 'no-store')
        .header(BACKUP_HEADERS.pages, String(pages))
        .header(BACKUP_HEADERS.schemaVersion, String(schemaVersion))
        .header(BACKUP_HEADERS.durationMs, String(durationMs))
        .send(stream);
    },
  });
}
