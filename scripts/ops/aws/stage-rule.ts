import { compileEventPattern } from '../../../cells/matching/index.js';
import type { StageTopology } from '../../../cells/topology.js';
import { OpsError } from '../backend.js';
import type { AwsCell } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import type { CellResources } from './cell-resources.js';
import { paginateListRules } from './list-rules-paginator.js';

/**
 * The ARN of the rule routing `stage` (not a stack output): the one bus rule whose pattern matches
 * the stage's events. The archive's rule, managed by EventBridge, matches every stage and is
 * skipped. {@link OpsError} unless exactly one rule matches.
 *
 * @example
 * const filterArns = [await stageRuleArn(aws, stage, await aws.resources())];
 */
export async function stageRuleArn(
  aws: AwsCell,
  stage: StageTopology,
  resources: CellResources,
): Promise<string> {
  const sample = {
    source: aws.topology.settings.eventSource,
    'detail-type': stage.detailType,
    detail: {},
  };
  const matching: string[] = [];
  await awsCall(`ListRules on ${resources.busName}`, async () => {
    const pages = paginateListRules({ client: aws.clients.eventBridge }, { EventBusName: resources.busName });
    for await (const page of pages) {
      for (const rule of page.Rules ?? []) {
        // The archive's rule is managed by EventBridge and matches every stage.
        if (!rule.Arn || !rule.EventPattern || rule.ManagedBy) continue;
        if (patternMatches(rule.EventPattern, sample)) matching.push(rule.Arn);
      }
    }
  });
  if (matching.length !== 1) {
    throw new OpsError(
      `cannot tell the ${stage.name} rule on bus ${resources.busName}: ${matching.length} rules match ${stage.detailType} events (${matching.join(', ') || 'none'})`,
    );
  }
  return matching[0] as string;
}

/** Whether an event pattern (JSON text) matches `event`; a pattern this tool cannot read does not. */
function patternMatches(pattern: string, event: Record<string, unknown>): boolean {
  try {
    return compileEventPattern(JSON.parse(pattern)).matches(event);
  } catch {
    // A pattern this tool cannot read is not one of the cell's stage rules.
    return false;
  }
}
