import { type Command, Option } from 'commander';
import type { CellDefinition } from '../../../cells/catalog.js';
import { type CellTopology, findStage, type StageTopology } from '../../../cells/topology.js';
import type { OpsBackend } from '../backend.js';
import type { OpsIo, VerbContext } from '../output.js';
import { API_KEY_ENV, type CliContext } from './cli-context.js';
import { parseTimeMs } from './option-parsers.js';
import { backendForTarget, type TargetOptions } from './target-backend.js';

/**
 * What the verb registration functions share: the program to add commands to, the common target
 * options, the backend for a target, and where an action leaves its exit code.
 *
 * @example
 * export function registerTimeline(kit: VerbKit): void {
 *   kit.withTarget(kit.program.command('timeline').argument('<invoiceId>')).action(async (id, opts) => {
 *     kit.setExitCode(await runTimeline(kit.backendFor(opts), id, kit.verbContext(opts)));
 *   });
 * }
 */
export interface VerbKit {
  readonly program: Command;
  readonly io: OpsIo;
  readonly topology: CellTopology;
  /** The environment `runCli` was given (verbs outside `withTarget` read the key variable from it). */
  readonly env: CliContext['env'];
  /** The code `runCli` returns once the action has run. */
  setExitCode(code: number): void;
  verbContext(opts: { json?: boolean }): VerbContext;
  backendFor(opts: TargetOptions): OpsBackend;
  /** The named stage, or every stage in order without a name. */
  stagesOf(name: string | undefined): StageTopology[];
  /** `--stage <stage>` limited to the topology's stage names. */
  stageOption(description: string): Option;
  /** Adds `--local`, `--cell`, `--api-key` and `--json`. */
  withTarget(command: Command): Command;
  /** Parses a time option against the CLI's clock. */
  parseTime(value: string): number;
}

/** The kit of one `runCli` run. */
export function createVerbKit(options: {
  readonly program: Command;
  readonly context: CliContext;
  readonly topology: CellTopology;
  readonly catalog: readonly CellDefinition[];
  readonly setExitCode: (code: number) => void;
}): VerbKit {
  const { program, context, topology, catalog } = options;
  const { io } = context;
  const stageNames = topology.stages.map((s) => s.name);
  return {
    program,
    io,
    topology,
    env: context.env,
    setExitCode: options.setExitCode,
    verbContext: (opts) => ({ io, json: opts.json === true, signal: context.signal }),
    backendFor: (opts) => backendForTarget(opts, context, topology, catalog),
    stagesOf: (name) =>
      name === undefined ? [...topology.stages] : [findStage(topology, name) as StageTopology],
    stageOption: (description) => new Option('--stage <stage>', description).choices(stageNames),
    withTarget: (command) =>
      command
        .option('--local <url>', 'target a local cell by its URL, e.g. http://127.0.0.1:8787')
        .option(
          '--cell <name>',
          `target a deployed cell of the catalog (${catalog.map((c) => c.name).join(', ')})`,
        )
        .option('--api-key <key>', `local cell producer API key (default: $${API_KEY_ENV})`)
        .option('--json', 'print JSON instead of tables', false),
    parseTime: (value) => parseTimeMs(value, io.now()),
  };
}
