import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BannerInfo, bannerInfoOf, renderBanner } from '../../../cells/local/banner.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { PROJECT_ROOT } from '../../support/project-root.js';

const URL_ = 'http://127.0.0.1:8787';
const KEY = 'gwxJZ9fccOwLl3zVE9q1XeE5RR9JXvwXbTTyBHAKf1w';

const INFO: BannerInfo = {
  cellName: 'local',
  url: URL_,
  dashboardUrl: `${URL_}/`,
  dataDir: '/srv/cell',
  dbFile: '/srv/cell/cell.sqlite',
  ingestUrl: `${URL_}/invoices/ingestion`,
  exampleFile: 'schemas/examples/ingestion.json',
};

describe('renderBanner', () => {
  it('names the dashboard, the API, the data directory and how to stop', () => {
    // Act
    const text = renderBanner(INFO);

    // Assess
    expect(text).toContain('Invoice cell "local" is ready');
    expect(text).toMatch(/Dashboard\s+http:\/\/127\.0\.0\.1:8787\/\n/);
    expect(text).toMatch(
      /API\s+http:\/\/127\.0\.0\.1:8787\s+\(POST \/invoices\/ingestion, GET \/stats, GET \/metrics\)/,
    );
    expect(text).toMatch(/Data\s+\/srv\/cell\s+\(SQLite database cell\.sqlite\)/);
    expect(text).toContain('Ctrl-C stops the cell');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('shows a generated key once, with a curl line that posts the example event with it', () => {
    // Act
    const text = renderBanner({ ...INFO, generatedApiKey: KEY });

    // Assess
    expect(text.split(KEY)).toHaveLength(3); // the key line and the curl line
    expect(text).toContain('the only time it is shown');
    expect(text).toContain(`curl -X POST ${URL_}/invoices/ingestion \\`);
    expect(text).toContain(`-H 'x-api-key: ${KEY}' -H 'content-type: application/json' \\`);
    expect(text).toContain('-d @schemas/examples/ingestion.json');
  });

  it('shows a placeholder instead of a key when none was generated', () => {
    // Act
    const text = renderBanner(INFO);

    // Assess
    expect(text).toContain("-H 'x-api-key: <your key>'");
    expect(text).not.toContain('generated now');
  });

  it('prints the operator key hint and warnings when given, and leaves out a missing dashboard', () => {
    // Act
    const text = renderBanner({
      ...INFO,
      dashboardUrl: undefined,
      operatorKeyHint:
        'No operator key yet: restart with --operator-key <key>.\nThen: invoice-ops keys create',
      warnings: ['bound to 0.0.0.0 without TLS'],
    });

    // Assess
    expect(text).toContain(
      '  No operator key yet: restart with --operator-key <key>.\n  Then: invoice-ops keys create\n',
    );
    expect(text).toContain('  Warning: bound to 0.0.0.0 without TLS\n');
    expect(text).not.toContain('Dashboard');
  });

  it('quotes a data file path with spaces in the curl line', () => {
    // Act
    const text = renderBanner({ ...INFO, exampleFile: 'my dir/ingestion.json' });

    // Assess
    expect(text).toContain("-d @'my dir/ingestion.json'");
  });
});

describe('bannerInfoOf', () => {
  it("takes the first stage's route and example event, relative to the working directory", () => {
    // Prepare
    const cell = {
      url: URL_,
      dataDir: '/srv/cell',
      dbFile: '/srv/cell/cell.sqlite',
      apiKey: KEY,
      apiKeyGenerated: true,
      topology: CELL_TOPOLOGY,
    };
    const first = CELL_TOPOLOGY.stages[0];

    // Act
    const info = bannerInfoOf(cell, { cellName: 'local', cwd: PROJECT_ROOT, dashboard: true });

    // Assess
    expect(info).toEqual({
      cellName: 'local',
      url: URL_,
      dashboardUrl: `${URL_}/`,
      dataDir: '/srv/cell',
      dbFile: '/srv/cell/cell.sqlite',
      ingestUrl: `${URL_}${first?.routePath}`,
      exampleFile: path.join('schemas', 'examples', `${first?.name}.json`),
      generatedApiKey: KEY,
    });
  });

  it('leaves out a key that was passed in rather than generated', () => {
    // Act
    const info = bannerInfoOf(
      {
        url: URL_,
        dataDir: '/d',
        dbFile: '/d/cell.sqlite',
        apiKey: KEY,
        apiKeyGenerated: false,
        topology: CELL_TOPOLOGY,
      },
      { cellName: 'local', cwd: PROJECT_ROOT, dashboard: false },
    );

    // Assess
    expect(info.generatedApiKey).toBeUndefined();
    expect(info.dashboardUrl).toBeUndefined();
  });
});
