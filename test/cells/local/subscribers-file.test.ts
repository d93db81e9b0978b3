import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseSubscribersFile,
  SubscribersFileError,
  topologyWithSubscribersFile,
} from '../../../cells/local/subscribers-file.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { runCellCli, tempDataDir } from './helpers/cell-process.js';

// `npm start -- --subscribers <file>`: the file's subscribers join the topology, validated there;
// every problem names the file and the field, and the cell refuses to start (exit 2).

const dir = tempDataDir('subscribers-file-');
function fileWith(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const BILLIFY = {
  id: 'billify',
  description: 'Billify: per-upload notification',
  filterPolicy: { event: { status: ['RECEIVED'], metadata: { businessUnit: ['BU-7'] } } },
  endpoint: 'https://hooks.billify.example/invoice-cell',
};

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('topologyWithSubscribersFile', () => {
  it("declares the file's subscribers on their stages, the rest of the topology unchanged", () => {
    // Prepare
    const file = fileWith('ok.json', {
      ingestion: [BILLIFY],
      posting: [{ id: 'ledger', filterPolicy: { stage: ['posting'] } }],
    });

    // Act
    const topology = topologyWithSubscribersFile(file);

    // Assess
    const byStage = Object.fromEntries(topology.stages.map((s) => [s.name, s.subscribers.map((x) => x.id)]));
    expect(byStage).toEqual({
      ingestion: ['billify'],
      reconciliation: [],
      authorization: [],
      posting: ['ledger'],
    });
    expect(topology.stages[0]?.subscribers[0]).toMatchObject({
      endpoint: 'https://hooks.billify.example/invoice-cell',
      ids: { queue: 'IngestionBillifySubscriberQueue', dlq: 'IngestionBillifySubscriberDlq' },
    });
    expect(topology.settings).toEqual(CELL_TOPOLOGY.settings);
    expect(topology.stages.map((s) => s.visibilityTimeoutSec)).toEqual(
      CELL_TOPOLOGY.stages.map((s) => s.visibilityTimeoutSec),
    );
  });

  it('refuses what the topology refuses, naming the file, the stage and the subscriber', () => {
    // Prepare
    const badEndpoint = fileWith('ftp.json', { ingestion: [{ ...BILLIFY, endpoint: 'ftp://x.example/' }] });
    const unknownStage = fileWith('stage.json', { shipping: [BILLIFY] });

    // Act / Assess
    expect(() => topologyWithSubscribersFile(badEndpoint)).toThrow(
      `${badEndpoint}: stage ingestion subscriber billify: endpoint must use http or https, got ftp`,
    );
    expect(() => topologyWithSubscribersFile(unknownStage)).toThrow(
      /subscribers declared on unknown stage shipping/,
    );
    expect(() => topologyWithSubscribersFile(path.join(dir, 'missing.json'))).toThrow(SubscribersFileError);
  });
});

describe('parseSubscribersFile', () => {
  it('names the field of a badly shaped file', () => {
    expect(() => parseSubscribersFile('{', 'f.json')).toThrow(/^f\.json is not JSON/);
    expect(() => parseSubscribersFile('[]', 'f.json')).toThrow('f.json must hold a JSON object');
    expect(() => parseSubscribersFile('{"ingestion": {}}', 'f.json')).toThrow(
      'f.json: ingestion must be an array of subscribers',
    );
    expect(() => parseSubscribersFile('{"ingestion": [3]}', 'f.json')).toThrow(
      'f.json: ingestion[0] must be an object',
    );
    expect(() =>
      parseSubscribersFile(JSON.stringify({ ingestion: [{ ...BILLIFY, endpont: 'x' }] }), 'f.json'),
    ).toThrow('f.json: ingestion[0] has unknown field "endpont"');
    expect(() =>
      parseSubscribersFile(JSON.stringify({ ingestion: [{ ...BILLIFY, description: 7 }] }), 'f.json'),
    ).toThrow('f.json: ingestion[0].description must be a string');
  });
});

describe('local-cell --subscribers', () => {
  it('exits 2 with the reason for a file the topology refuses, before opening the data dir', async () => {
    // Prepare
    const file = fileWith('cli.json', { ingestion: [{ ...BILLIFY, endpoint: 'https://u:p@x.example/' }] });
    const dataDir = path.join(dir, 'never-created');

    // Act
    const { code, out } = await runCellCli(['--port', '0', '--data-dir', dataDir, '--subscribers', file]);

    // Assess
    expect(code).toBe(2);
    expect(out).toContain('error: --subscribers:');
    expect(out).toContain('stage ingestion subscriber billify: endpoint must not carry credentials');
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
