import type { Command } from 'commander';
import { UsageError } from '../backend.js';
import { runBackupDownload, runBackupVerify } from '../local/backup-download.js';
import { API_KEY_ENV } from './cli-context.js';
import { localUrl } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/**
 * `invoice-ops backup` (local cells only): `backup --local <url> --to <file>` downloads an online,
 * verified backup of a running cell (an operator key), and `backup verify --file <file>` checks a
 * backup file before anyone relies on it (what `npm start -- --restore` checks too).
 *
 * @example
 * registerBackup(kit);
 * // invoice-ops backup --local http://127.0.0.1:8787 --api-key "$OPERATOR_KEY" --to ./cell-backup.sqlite
 * // invoice-ops backup verify --file ./cell-backup.sqlite
 */

interface BackupOptions {
  local?: string;
  apiKey?: string;
  to?: string;
  force: boolean;
  json: boolean;
}

export function registerBackup(kit: VerbKit): void {
  const backup = kit.program
    .command('backup')
    .description(
      'download an online, consistent backup of a local cell (operator key) with progress, verify it, write it atomically; "backup verify" checks a file',
    )
    .option('--local <url>', 'the local cell, e.g. http://127.0.0.1:8787')
    .option('--api-key <key>', `an operator key of the cell (default: $${API_KEY_ENV})`)
    .option('--to <file>', 'where to write the backup (written under a temp name, renamed once verified)')
    .option('--force', 'replace --to if it exists', false)
    .option('--json', 'print the summary as JSON', false)
    .action(async (opts: BackupOptions) => {
      if (opts.local === undefined)
        throw new UsageError('backup needs --local <url> (backups are of local cells)');
      if (opts.to === undefined) throw new UsageError('backup needs --to <file>');
      const apiKey = opts.apiKey ?? kit.env[API_KEY_ENV];
      const request = { base: localUrl(opts.local), apiKey, to: opts.to, force: opts.force };
      kit.setExitCode(await runBackupDownload(request, kit.verbContext(opts)));
    });
  backup
    .command('verify')
    .description(
      'verify a backup file: a local-cell database, of a schema this code can open, passing PRAGMA integrity_check',
    )
    .requiredOption('--file <file>', 'the backup file')
    .option('--json', 'print the summary as JSON', false)
    .action((_opts: { file: string }, command: Command) => {
      // optsWithGlobals: `--json` after `verify` may have been taken by `backup` itself.
      const opts = command.optsWithGlobals<{ file: string; json: boolean }>();
      kit.setExitCode(runBackupVerify(opts.file, kit.verbContext(opts)));
    });
}
