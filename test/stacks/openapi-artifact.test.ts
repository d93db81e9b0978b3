import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTopology } from '../../cells/topology.js';
import { buildIngestOpenApi } from '../../schemas/api/openapi.js';
import { openApiArtifactName, writeOpenApiArtifact } from '../../stacks/openapi-artifact.js';

/** The OpenAPI document written into the cloud assembly beside the templates. */

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeOpenApiArtifact', () => {
  it("writes the AWS document of the cell's topology as <name>.openapi.json", () => {
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-artifact-')), 'cdk.out');
    dirs.push(path.dirname(outdir));
    const topology = buildTopology({ maxEventsPerRequest: 5 });

    const file = writeOpenApiArtifact(outdir, topology, 'InvoiceCell-us-east-1');

    expect(file).toBe(path.join(outdir, 'InvoiceCell-us-east-1.openapi.json'));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(
      buildIngestOpenApi(topology, { target: 'aws' }),
    );
  });

  it('names the file after the stack, or ingest by default', () => {
    expect(openApiArtifactName('InvoiceCell-eu-west-1')).toBe('InvoiceCell-eu-west-1.openapi.json');
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-artifact-'));
    dirs.push(outdir);

    expect(path.basename(writeOpenApiArtifact(outdir, buildTopology()))).toBe('ingest.openapi.json');
  });
});
