import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` next to the caller (`here` = its `import.meta.url`):
 * the built `.js` in a build, the `.ts` source under tsx (sources, tests). Under tsx the worker
 * registers tsx itself before importing the entry: module hooks of the parent thread do not reach
 * workers in Node 20. Used by the engine and the backup job.
 *
 * @example
 * const worker = spawnModuleWorker(import.meta.url, 'engine-worker', config);
 */
export function spawnModuleWorker(here: string, name: string, workerData: unknown): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), { workerData });
  const entry = new URL(`./${name}.ts`, here).href;
  // The ESM build of tsx's API (its CJS build cannot register ESM hooks from a worker).
  const tsxApi =
    typeof import.meta.resolve === 'function'
      ? import.meta.resolve('tsx/esm/api')
      : pathToFileURL(
          createRequire(here)
            .resolve('tsx/esm/api')
            .replace(/\.cjs$/, '.mjs'),
        ).href;
  const boot = `import(${JSON.stringify(tsxApi)})
    .then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })
    .catch((error) => { console.error(error); process.exit(1); });`;
  return new Worker(boot, { eval: true, workerData });
}
