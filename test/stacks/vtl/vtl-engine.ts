import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { warnMissingTool } from '../../support/missing-tool.js';

/**
 * Apache Velocity 1.7 — the engine API Gateway runs mapping templates on — driven from tests through
 * `VtlRunner.java` (its header lists what of `$input`/`$util`/`$context` it implements). One JVM per
 * test file: started once, then one JSON line per render, so a case costs milliseconds.
 *
 * There is no JRE in the npm registry, so the engine comes from the distro: {@link startVtlEngine}
 * reports it as unavailable (with the reason) instead of throwing, and the test file says so.
 *
 * @example
 * const probe = await startVtlEngine();
 * if ('engine' in probe) {
 *   const { output, context } = await probe.engine.render({ template: '$input.json("$")', body: '{}' });
 * }
 */

/** The distro packages that provide `java` and the Velocity 1.7 jars (Debian/Ubuntu). */
export const VELOCITY_INSTALL_COMMAND = 'apt-get install -y velocity default-jre-headless';

/** Velocity 1.7 and the two libraries it needs, where Debian's `velocity` package puts them. */
export const VELOCITY_CLASSPATH = [
  '/usr/share/java/velocity.jar',
  '/usr/share/java/commons-collections3.jar',
  '/usr/share/java/commons-lang.jar',
] as const;

const RUNNER_SOURCE = fileURLToPath(new URL('./VtlRunner.java', import.meta.url));
/** The first start compiles the runner in memory; a loaded 2-core machine can take a while. */
const START_TIMEOUT_MS = 45_000;

/** One render: API Gateway's inputs of a mapping template. */
export interface VtlRequest {
  readonly template: string;
  /** Raw body: the method request's for a request template, the integration's for a response one. */
  readonly body?: string;
  /** `$context` (e.g. `requestId`, `requestTimeEpoch`); `responseOverride` is added empty. */
  readonly context?: Record<string, unknown>;
  readonly params?: {
    readonly path?: Record<string, string>;
    readonly querystring?: Record<string, string>;
    readonly header?: Record<string, string>;
  };
}

/** What the template produced, and `$context` afterwards (for `responseOverride.status`). */
export interface VtlResult {
  readonly output: string;
  readonly context: { readonly responseOverride: { readonly status?: number } } & Record<string, unknown>;
}

interface RunnerAnswer {
  readonly output?: string;
  readonly context?: VtlResult['context'];
  readonly error?: string;
}

/** A template Velocity refused to parse or failed to render. */
export class VtlRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VtlRenderError';
  }
}

/** A running VtlRunner JVM. */
export class VtlEngine {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending: ((answer: RunnerAnswer) => void)[] = [];
  #stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('utf8');
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.#pending.shift()?.(JSON.parse(line) as RunnerAnswer);
    });
    // A JVM that dies answers every waiting render with its stderr rather than leaving it hanging.
    child.on('close', (code) => {
      const error = `VtlRunner exited (${code}): ${this.#stderr.trim() || 'no output'}`;
      for (const resolve of this.#pending.splice(0)) resolve({ error });
    });
  }

  /** Spawns `java` on the runner source; rejects when java is missing. */
  static spawn(): Promise<VtlEngine> {
    const child = spawn('java', ['-cp', VELOCITY_CLASSPATH.join(':'), RUNNER_SOURCE], { stdio: 'pipe' });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(new VtlEngine(child)));
      child.once('error', reject);
    });
  }

  /** Renders one template; rejects with {@link VtlRenderError} on a Velocity error. */
  async render(request: VtlRequest): Promise<VtlResult> {
    const answer = await new Promise<RunnerAnswer>((resolve) => {
      this.#pending.push(resolve);
      this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    });
    if (answer.error !== undefined || answer.output === undefined || answer.context === undefined) {
      throw new VtlRenderError(answer.error ?? 'VtlRunner gave no output');
    }
    return { output: answer.output, context: answer.context };
  }

  /** Ends the JVM (closing stdin ends its read loop) and waits for it. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const closed = new Promise((resolve) => this.#child.once('close', resolve));
    this.#child.stdin.end();
    await closed;
  }

  /** Kills a JVM that does not answer (close() would wait for it forever). */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** Either a working engine or why there is none (no java, no jars, runner failing to start). */
export type VtlEngineProbe = { readonly engine: VtlEngine } | { readonly unavailable: string };

/** Starts the engine and proves it renders; never throws, so a test file can decide what to register. */
export async function startVtlEngine(): Promise<VtlEngineProbe> {
  const missingJars = VELOCITY_CLASSPATH.filter((jar) => !existsSync(jar));
  if (missingJars.length > 0) return { unavailable: `missing ${missingJars.join(', ')}` };
  let engine: VtlEngine;
  try {
    engine = await VtlEngine.spawn();
  } catch (error) {
    return { unavailable: `cannot run java: ${(error as Error).message}` };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  });
  try {
    const { output } = await Promise.race([engine.render({ template: '#set($n = 6 * 7)$n' }), timeout]);
    if (output !== '42') throw new Error(`probe rendered ${JSON.stringify(output)}`);
    return { engine };
  } catch (error) {
    engine.kill();
    return { unavailable: `VtlRunner did not start: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The one case a test file registers when {@link startVtlEngine} found no engine: it passes, and
 * prints a loud banner naming the install command, so the rest of `npm test` still runs.
 */
export function itNeedsVelocity(unavailable: string, notRun: string): void {
  it('needs a JRE and Apache Velocity 1.7', () => {
    const banner = warnMissingTool({
      tool: 'Java + Apache Velocity 1.7',
      reason: unavailable,
      install: VELOCITY_INSTALL_COMMAND,
      notRun,
    });
    expect(banner).toContain(VELOCITY_INSTALL_COMMAND);
  });
}
