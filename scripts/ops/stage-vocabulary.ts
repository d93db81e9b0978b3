import type { StageTopology } from '../../cells/topology.js';
import { readExampleEvent } from '../../schemas/files.js';
import { type JsonSchema, STAGE_SCHEMA_FILES, stageEventSchema } from '../../schemas/index.js';

/**
 * What the load generator knows of a stage, read from its contract: the example event as the
 * template, its statuses (usual, other non-failure, failure) and its other string enums.
 *
 * @example
 * const v = vocabularyOf(stage, ['REJECTED', 'MISMATCHED', 'FAILED']);
 * v.usual; // 'RECEIVED'
 */
export interface StageVocabulary {
  readonly stage: StageTopology;
  readonly template: Record<string, unknown>;
  /** First non-failure status: the usual outcome (RECEIVED, MATCHED, APPROVED, POSTED). */
  readonly usual: string;
  readonly otherOk: readonly string[];
  readonly failures: readonly string[];
  /** String enum fields of the stage other than status (e.g. a channel), picked at random. */
  readonly enums: ReadonlyMap<string, readonly string[]>;
  readonly properties: ReadonlySet<string>;
  readonly required: ReadonlySet<string>;
}

function statusesOf(stage: StageTopology): readonly string[] {
  const status = (STAGE_SCHEMA_FILES[stage.name] as JsonSchema).properties?.status as JsonSchema | undefined;
  const values = status?.enum as string[] | undefined;
  if (!values || values.length === 0)
    throw new Error(`stage ${stage.name}: its schema lists no status values`);
  return values;
}

/** A stage's vocabulary; `failureStatuses` are the statuses that end a lifecycle as a failure. */
export function vocabularyOf(stage: StageTopology, failureStatuses: readonly string[]): StageVocabulary {
  const template = readExampleEvent(stage.name) as Record<string, unknown>;
  const statuses = statusesOf(stage);
  const ok = statuses.filter((s) => !failureStatuses.includes(s));
  if (ok.length === 0) throw new Error(`stage ${stage.name}: every status is a failure status`);
  const schema = stageEventSchema(stage.name);
  const enums = new Map<string, readonly string[]>();
  for (const [name, property] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
    if (
      name !== 'status' &&
      property.type === 'string' &&
      Array.isArray(property.enum) &&
      property.enum.length < 20
    ) {
      enums.set(name, property.enum as string[]);
    }
  }
  return {
    stage,
    template,
    usual: ok[0] as string,
    otherOk: ok.slice(1),
    failures: statuses.filter((s) => failureStatuses.includes(s)),
    enums,
    properties: new Set(Object.keys(schema.properties as object)),
    required: new Set(schema.required as string[]),
  };
}
