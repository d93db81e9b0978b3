import fs from 'node:fs';
import path from 'node:path';
import {
  MAX_LISTED_REPORTS,
  REPORT_FORMAT_NAMES,
  type ReportFormatName,
  type StoredReport,
} from '../../../schemas/api/reports.js';
import { isoFromMs } from '../../../schemas/time.js';
import { fsyncDir, tempNameBeside } from '../storage/backup-copy.js';

/**
 * The stored monthly reports of a local cell: `<data dir>/reports/<YYYY-MM>.{html,json,csv}`.
 * Each file is written under a temp name beside it (`.<name>.<random>.partial`), fsynced and renamed,
 * so a reader (the routes, the dashboard, a backup script) sees a whole file or none; the JSON
 * file is renamed last, so a month whose JSON is there has all three. Files are 0600 and the
 * directory 0700, like the database beside them: a report holds business figures.
 *
 * @example
 * const files = new ReportFiles(path.join(dataDir, 'reports'));
 * files.write('2026-10', { html, json, csv });
 * files.list(); // [{ month: '2026-10', generatedAt, formats: ['html', 'json', 'csv'], bytes: {...} }]
 */

/** The name of the reports folder inside the data dir. */
export const REPORTS_DIR_NAME = 'reports';

const FILE_NAME = /^(\d{4}-\d{2})\.(html|json|csv)$/;

/** The three renderings of one report, as written. */
export type ReportRenderings = Readonly<Record<ReportFormatName, string>>;

/** Written before the JSON file, which marks a month as complete. */
const WRITE_ORDER: readonly ReportFormatName[] = ['html', 'csv', 'json'];

export class ReportFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** The file of `month` in `format` (it may not exist). */
  fileOf(month: string, format: ReportFormatName): string {
    return path.join(this.dir, `${month}.${format}`);
  }

  /** Whether all three renderings of `month` are stored (the JSON file is written last). */
  has(month: string): boolean {
    return fs.existsSync(this.fileOf(month, 'json'));
  }

  /** The stored rendering, or undefined when the month has none in that format. */
  read(month: string, format: ReportFormatName): Buffer | undefined {
    try {
      return fs.readFileSync(this.fileOf(month, format));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Writes the three renderings of `month`, each atomically; returns their sizes in bytes. */
  write(month: string, renderings: ReportRenderings): Readonly<Record<ReportFormatName, number>> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const bytes = { html: 0, json: 0, csv: 0 };
    for (const format of WRITE_ORDER) {
      bytes[format] = writeAtomically(this.fileOf(month, format), renderings[format]);
    }
    fsyncDir(this.dir);
    return bytes;
  }

  /**
   * The stored months, newest first, at most `limit`: the formats present and their sizes, and
   * when the JSON file was written (or the newest file, while a month has no JSON yet).
   */
  list(limit = MAX_LISTED_REPORTS): StoredReport[] {
    const months = new Map<
      string,
      { formats: Set<ReportFormatName>; bytes: StoredReport['bytes']; mtimeMs: number }
    >();
    for (const name of this.#names()) {
      const match = FILE_NAME.exec(name);
      if (!match) continue;
      const [, month, format] = match as unknown as [string, string, ReportFormatName];
      let stat: fs.Stats;
      try {
        stat = fs.statSync(path.join(this.dir, name));
      } catch {
        continue; // removed since readdir
      }
      const entry = months.get(month) ?? { formats: new Set(), bytes: {}, mtimeMs: 0 };
      entry.formats.add(format);
      entry.bytes = { ...entry.bytes, [format]: stat.size };
      if (format === 'json' || !entry.formats.has('json'))
        entry.mtimeMs = Math.max(entry.mtimeMs, stat.mtimeMs);
      months.set(month, entry);
    }
    return [...months.entries()]
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .slice(0, limit)
      .map(([month, entry]) => ({
        month,
        generatedAt: isoFromMs(Math.floor(entry.mtimeMs)),
        formats: REPORT_FORMAT_NAMES.filter((f) => entry.formats.has(f)),
        bytes: entry.bytes,
      }));
  }

  #names(): string[] {
    try {
      return fs.readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

/** Writes `text` to a temp file beside `file`, fsyncs it and renames it over `file`. */
function writeAtomically(file: string, text: string): number {
  const temp = tempNameBeside(file);
  const data = Buffer.from(text, 'utf8');
  try {
    const fd = fs.openSync(temp, 'wx', 0o600);
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  return data.length;
}
