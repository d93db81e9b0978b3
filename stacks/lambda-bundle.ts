import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { LAMBDA_RUNTIME, type LambdaCodeProvider } from './lambda-code.js';

/**
 * Bundles each Lambda handler once per process with esbuild and hands out `Code.fromAsset` of the
 * result. One build per handler (not one per function, as `NodejsFunction` would do: 9 functions
 * per cell times every cell) keeps `cdk synth` fast on small machines.
 *
 * @example
 * const code = bundledLambdaCode();
 * new lambda.Function(this, 'Relay', { code: code.relay(), handler: LAMBDA_HANDLER, ... });
 */

/** The handler entry points, relative to the repository root. */
export const HANDLER_ENTRIES = {
  relay: 'consumers/aws/lambda/relay-handler.ts',
  processor: 'consumers/aws/lambda/processor-handler.ts',
  stuckMonitor: 'consumers/aws/lambda/stuck-monitor-handler.ts',
  monthlyReport: 'consumers/aws/lambda/monthly-report-handler.ts',
  migrations: 'consumers/aws/lambda/migrations-handler.ts',
} as const;

/**
 * Files a bundle needs beside `index.mjs`, by handler: the migrations handler reads the SQL files
 * from `migrations/` next to its module, as it does from `consumers/postgresql/migrations/` in the
 * repository.
 */
export const HANDLER_FILES: Partial<Record<HandlerName, { readonly from: string; readonly to: string }>> = {
  migrations: { from: 'consumers/postgresql/migrations', to: 'migrations' },
};

export type HandlerName = keyof typeof HANDLER_ENTRIES;

export class BundleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BundleError';
  }
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `nodejs24.x` → `node24`: the bundle targets exactly the runtime it is deployed to. */
export function esbuildTarget(runtime: lambda.Runtime = LAMBDA_RUNTIME): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime.name);
  if (!match) throw new BundleError(`runtime ${runtime.name} is not a nodejsNN.x runtime`);
  return `node${match[1]}`;
}

/** Per-process output root: parallel processes (test workers) never write the same files. */
const OUT_ROOT = join(tmpdir(), 'invoice-cell-bundles', String(process.pid));
const built = new Map<string, string>();
let cleanupRegistered = false;

/**
 * Bundles `entry` into `<outRoot>/<name>/index.mjs` (+ source map) once per process and returns the
 * directory. ESM output needs `require` for the CommonJS dependencies it inlines, hence the banner.
 * The AWS SDK is bundled too, so a deployment runs the SDK versions the tests ran, not whatever
 * the runtime ships.
 */
export function bundleHandler(entry: string, name: string, outRoot: string = OUT_ROOT): string {
  const absoluteEntry = join(REPO_ROOT, entry);
  const outDir = join(outRoot, name);
  const cached = built.get(outDir);
  if (cached) return cached;
  if (!existsSync(absoluteEntry)) {
    throw new BundleError(`lambda entry ${entry} does not exist (looked in ${REPO_ROOT})`);
  }
  mkdirSync(outDir, { recursive: true });
  if (!cleanupRegistered && outRoot === OUT_ROOT) {
    cleanupRegistered = true;
    // The assets are copied into the cloud assembly during synth; the build dir is scratch.
    process.once('exit', () => rmSync(OUT_ROOT, { recursive: true, force: true }));
  }
  try {
    buildSync({
      entryPoints: [absoluteEntry],
      outfile: join(outDir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: esbuildTarget(),
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      legalComments: 'none',
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
  } catch (error) {
    throw new BundleError(`esbuild failed for ${entry}: ${(error as Error).message}`, { cause: error });
  }
  built.set(outDir, outDir);
  return outDir;
}

/** Copies the handler's extra files ({@link HANDLER_FILES}) into its bundle directory. */
function copyHandlerFiles(name: HandlerName, outDir: string): void {
  const files = HANDLER_FILES[name];
  if (!files) return;
  cpSync(join(REPO_ROOT, files.from), join(outDir, files.to), {
    recursive: true,
    filter: (source) => !source.endsWith('.ts'),
  });
}

/** A {@link LambdaCodeProvider} of the real handlers, bundled on first use. */
export function bundledLambdaCode(outRoot: string = OUT_ROOT): LambdaCodeProvider {
  const code = (name: HandlerName) => {
    const outDir = bundleHandler(HANDLER_ENTRIES[name], name, outRoot);
    copyHandlerFiles(name, outDir);
    return lambda.Code.fromAsset(outDir);
  };
  return {
    relay: () => code('relay'),
    processor: () => code('processor'),
    stuckMonitor: () => code('stuckMonitor'),
    monthlyReport: () => code('monthlyReport'),
    migrations: () => code('migrations'),
  };
}
