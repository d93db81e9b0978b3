import {
  buildTopology,
  type CellSettings,
  type CellTopology,
  DEFAULT_CELL_SETTINGS,
  STAGE_SETTINGS,
  type StageName,
  type StageSettings,
} from '../../../cells/topology.js';
import { ConfigError, type Env, isPlainObject, LAMBDA_ENV, requiredJson } from './lambda-env.js';

/**
 * What of a cell's resolved topology crosses to its Lambdas: the cell settings (defaults and catalog
 * overrides merged) and the stage list, from which {@link cellTopologyFrom} rebuilds the topology
 * with `buildTopology`. Subscribers stay behind: no function reads them, and their filter policies
 * could outgrow the environment.
 */
export interface TopologyEnv {
  readonly settings: CellSettings;
  readonly stages: readonly StageName[];
}

/**
 * Lambda allows 4 KB for all environment variables of a function together
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, "Environment
 * variables"). The topology takes about 0.5 KB today; capping it at half the quota leaves the other
 * variables (ARNs, names) room, and a topology that grows past it fails at synth, not at deploy.
 */
export const MAX_TOPOLOGY_ENV_BYTES = 2_048;

/**
 * The value of {@link LAMBDA_ENV.topology} for a cell's functions; throws when it would take more
 * than {@link MAX_TOPOLOGY_ENV_BYTES}. Pure.
 *
 * @example
 * environment: { [LAMBDA_ENV.topology]: topologyEnvValue(topology) }
 */
export function topologyEnvValue(topology: CellTopology): string {
  const spec: TopologyEnv = { settings: topology.settings, stages: topology.stages.map((s) => s.name) };
  const value = JSON.stringify(spec);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_TOPOLOGY_ENV_BYTES) {
    throw new Error(
      `the ${LAMBDA_ENV.topology} environment variable would take ${bytes} bytes, more than ${MAX_TOPOLOGY_ENV_BYTES}`,
    );
  }
  return value;
}

/** Every setting present with the default's JSON type, and nothing else. */
function settingsFrom(value: unknown): CellSettings {
  const name = LAMBDA_ENV.topology;
  if (!isPlainObject(value))
    throw new ConfigError(`environment variable ${name}: settings must be an object`);
  const expected = DEFAULT_CELL_SETTINGS as unknown as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!(key in expected)) throw new ConfigError(`environment variable ${name}: unknown setting ${key}`);
  }
  for (const [key, fallback] of Object.entries(expected)) {
    const actual = value[key];
    const valid =
      typeof actual === typeof fallback && (typeof actual !== 'number' || Number.isFinite(actual));
    if (!valid) {
      throw new ConfigError(
        `environment variable ${name}: setting ${key} must be a ${typeof fallback}, got ${JSON.stringify(actual)}`,
      );
    }
  }
  return value as unknown as CellSettings;
}

/** The settings of the named stages, in the order given; each known and named once. */
function stagesFrom(value: unknown): StageSettings[] {
  const name = LAMBDA_ENV.topology;
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(`environment variable ${name}: stages must be a non-empty array of stage names`);
  }
  return value.map((stage: unknown, i) => {
    const settings = STAGE_SETTINGS.find((s) => s.name === stage);
    if (!settings) {
      throw new ConfigError(`environment variable ${name}: ${JSON.stringify(stage)} is not a stage`);
    }
    if (value.indexOf(stage) !== i)
      throw new ConfigError(`environment variable ${name}: stage ${stage} is listed twice`);
    return settings;
  });
}

/**
 * The cell's topology from {@link LAMBDA_ENV.topology}: parsed, checked and rebuilt with
 * `buildTopology`, so the function derives stages, detail-types and SLAs exactly as the stack did.
 * Throws a {@link ConfigError} naming the variable and the problem.
 *
 * @example
 * const topology = cellTopologyFrom(process.env);
 */
export function cellTopologyFrom(env: Env): CellTopology {
  const name = LAMBDA_ENV.topology;
  const parsed = requiredJson(env, name);
  if (!isPlainObject(parsed)) throw new ConfigError(`environment variable ${name} must be a JSON object`);
  const settings = settingsFrom(parsed.settings);
  const stages = stagesFrom(parsed.stages);
  try {
    // No declared subscribers: the functions do not read them (see TopologyEnv).
    return buildTopology(settings, stages, {});
  } catch (error) {
    throw new ConfigError(`environment variable ${name}: ${(error as Error).message}`);
  }
}
