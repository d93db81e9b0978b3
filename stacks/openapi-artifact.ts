import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellTopology } from '../cells/topology.js';
import { buildIngestOpenApi } from '../schemas/api/openapi.js';

/**
 * Writes the AWS cell's ingest API description (OpenAPI 3.1, `schemas/api/openapi.ts`, security:
 * SigV4 and `x-api-key`) into the cloud assembly directory beside the CloudFormation templates,
 * as `<name>.openapi.json`, so every `cdk synth` ships the document of exactly what it deploys.
 * A plain file write after synth: no construct, no SDK call, no environment read.
 *
 * @example
 * const assembly = app.synth();
 * for (const cell of config.cells) {
 *   writeOpenApiArtifact(assembly.directory, buildTopology(cell.overrides), cellStackName(cell));
 * }
 * // cdk.out/InvoiceCell-us-east-1.openapi.json
 */

/** The file name of the document of stack (or cell) `name`. */
export function openApiArtifactName(name: string): string {
  return `${name}.openapi.json`;
}

/**
 * Writes the document for `topology` to `<outdir>/<name>.openapi.json` (creating `outdir`), and
 * returns the file's path. The JSON is stable (same input, same bytes), so diffs show real changes.
 */
export function writeOpenApiArtifact(outdir: string, topology: CellTopology, name = 'ingest'): string {
  const path = join(outdir, openApiArtifactName(name));
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(buildIngestOpenApi(topology, { target: 'aws' }), null, 2)}\n`);
  return path;
}
