import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { CellSettings } from '../../cells/topology.js';

/** One AWS managed rule group, evaluated in `priority` order; `excludedRules` only count. */
function managedRule(
  name: string,
  priority: number,
  excludedRules: string[] = [],
): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(excludedRules.length > 0
          ? { ruleActionOverrides: excludedRules.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
          : {}),
      },
    },
    visibilityConfig: { sampledRequestsEnabled: true, cloudWatchMetricsEnabled: true, metricName: name },
  };
}

/**
 * The web ACL rules in evaluation order. Pure.
 *
 * The common rule set's `SizeRestrictions_BODY` blocks bodies over 8 KB
 * (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html);
 * a batch of 10 events is larger than that, so the rule only counts. Body size is bounded by the
 * request model and by PutEvents' own 256 KB limit instead.
 *
 * @example
 * new wafv2.CfnWebACL(this, 'WebAcl', { scope: 'REGIONAL', defaultAction: { allow: {} }, visibilityConfig, rules: webAclRules(settings) });
 */
export function webAclRules(settings: CellSettings): wafv2.CfnWebACL.RuleProperty[] {
  return [
    managedRule('AWSManagedRulesAmazonIpReputationList', 0),
    managedRule('AWSManagedRulesCommonRuleSet', 1, ['SizeRestrictions_BODY']),
    managedRule('AWSManagedRulesKnownBadInputsRuleSet', 2),
    {
      name: 'RateLimitPerIp',
      priority: 3,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: settings.wafRateLimitPer5Min,
          aggregateKeyType: 'IP',
          evaluationWindowSec: 300,
        },
      },
      visibilityConfig: {
        sampledRequestsEnabled: true,
        cloudWatchMetricsEnabled: true,
        metricName: 'RateLimitPerIp',
      },
    },
  ];
}
