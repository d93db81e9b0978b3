import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { contractRoute } from '../api/contract-route.js';
import type { LocalCellPlugin } from '../local-cell.js';

/**
 * The web dashboard of the local cell: `GET /` (the page) and `GET /assets/{name}` (its script,
 * stylesheet and chart.js). The page reads the monitoring routes (`/dashboards`, `/stuck`,
 * `/alarms`, `/reconcile`) and `/stats`, `/invoices/{id}`; it needs no network beyond the cell.
 *
 * Assets are a fixed allow-list read into memory at plugin start (the TypeScript client bundled
 * with esbuild), so a request path never reaches the file system: no directory traversal, and a
 * missing file fails the start instead of the first page load.
 *
 * @example
 * await startLocalCell({ dataDir, plugins: [monitoringPlugin(), dashboardPlugin()] });
 */

interface Asset {
  readonly type: string;
  readonly body: string | Buffer;
}

const WEB_DIR = new URL('../../../dashboards/web/', import.meta.url);
// chart.js's package exports do not expose dist/chart.umd.js; its main entry sits in the same
// folder, so module resolution (not a node_modules path) finds it wherever npm installed it.
const CHART_UMD = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

/** Bundles the client (`dashboards/web/app.ts`) in memory. */
export function bundleDashboardClient(): string {
  const result = buildSync({
    entryPoints: [fileURLToPath(new URL('app.ts', WEB_DIR))],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no dashboard bundle');
  return output.text;
}

function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map<string, Asset>([
    ['app.js', { type: 'text/javascript; charset=utf-8', body: bundleDashboardClient() }],
    ['app.css', { type: 'text/css; charset=utf-8', body: fs.readFileSync(new URL('app.css', WEB_DIR)) }],
    ['chart.umd.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(CHART_UMD) }],
  ]);
}

export function dashboardPlugin(): LocalCellPlugin {
  return (app) => {
    const index = fs.readFileSync(new URL('index.html', WEB_DIR));
    const assets = loadAssets();
    // Text answers: the contract types only their JSON errors, so these stay on the untyped instance.
    app.route({
      ...contractRoute('webIndex'),
      handler: async (_request, reply) =>
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index),
    });
    app.route({
      ...contractRoute('webAsset'),
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const asset = assets.get(name);
        if (!asset) {
          return reply
            .code(404)
            .send({ message: `no asset "${name}"; assets: ${[...assets.keys()].join(', ')}` });
        }
        return reply
          .type(asset.type)
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .send(asset.body);
      },
    });
  };
}
