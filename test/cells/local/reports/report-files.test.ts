import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportFiles } from '../../../../cells/local/reports/report-files.js';

/** The reports folder of the data dir: atomic writes, private modes, the newest-first listing. */

const RENDERINGS = { html: '<p>October</p>', json: '{"month":"2026-10"}', csv: 'figure,value\r\n' };

let root: string;
let files: ReportFiles;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-files-'));
  files = new ReportFiles(path.join(root, 'reports'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('ReportFiles', () => {
  describe('write', () => {
    it('writes the three renderings, 0600 in a 0700 folder, and leaves no temp file', () => {
      // Act
      const bytes = files.write('2026-10', RENDERINGS);

      // Assess
      expect(fs.readdirSync(files.dir).sort()).toEqual(['2026-10.csv', '2026-10.html', '2026-10.json']);
      expect(bytes).toEqual({ html: 14, json: 19, csv: 14 });
      expect(files.read('2026-10', 'csv')?.toString()).toBe(RENDERINGS.csv);
      expect(fs.statSync(files.dir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(files.fileOf('2026-10', 'json')).mode & 0o777).toBe(0o600);
    });

    it('replaces a stored month whole', () => {
      // Prepare
      files.write('2026-10', RENDERINGS);

      // Act
      files.write('2026-10', { ...RENDERINGS, json: '{"month":"2026-10","v":2}' });

      // Assess
      expect(files.read('2026-10', 'json')?.toString()).toBe('{"month":"2026-10","v":2}');
      expect(fs.readdirSync(files.dir)).toHaveLength(3);
    });
  });

  describe('has and read', () => {
    it('counts a month as stored only once its JSON file (written last) is there', () => {
      // Prepare: a write cut short after the HTML file
      fs.mkdirSync(files.dir, { recursive: true });
      fs.writeFileSync(files.fileOf('2026-09', 'html'), '<p>half</p>');

      // Act / Assess
      expect(files.has('2026-09')).toBe(false);
      expect(files.read('2026-09', 'json')).toBeUndefined();
      expect(files.read('2026-08', 'html')).toBeUndefined();
    });
  });

  describe('list', () => {
    it('lists nothing when the folder does not exist yet', () => {
      expect(files.list()).toEqual([]);
    });

    it('lists months newest first with their formats and sizes, ignoring other files', () => {
      // Prepare
      files.write('2025-12', RENDERINGS);
      files.write('2026-10', RENDERINGS);
      files.write('2026-02', RENDERINGS);
      fs.writeFileSync(path.join(files.dir, 'notes.txt'), 'x');
      fs.writeFileSync(path.join(files.dir, '.2026-11.json.1234.partial'), '{');
      fs.rmSync(files.fileOf('2026-02', 'csv'));

      // Act
      const listed = files.list();

      // Assess
      expect(listed.map((r) => r.month)).toEqual(['2026-10', '2026-02', '2025-12']);
      expect(listed[0]).toMatchObject({
        formats: ['html', 'json', 'csv'],
        bytes: { html: 14, json: 19, csv: 14 },
      });
      expect(listed[1]).toMatchObject({ formats: ['html', 'json'], bytes: { html: 14, json: 19 } });
      expect(Date.parse(listed[0]?.generatedAt ?? '')).toBe(
        Math.floor(fs.statSync(files.fileOf('2026-10', 'json')).mtimeMs),
      );
    });

    it('keeps the newest months when there are more than the limit', () => {
      // Prepare
      for (const month of ['2026-01', '2026-02', '2026-03']) files.write(month, RENDERINGS);

      // Act / Assess
      expect(files.list(2).map((r) => r.month)).toEqual(['2026-03', '2026-02']);
    });
  });
});
