import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CellDefinition } from '../../cells/catalog.js';
import { buildApp } from '../../stacks/app.js';
import { CellStack } from '../../stacks/cell-stack.js';
import type { LambdaCodeProvider } from '../../stacks/lambda-code.js';

/**
 * Shared fixture of the CDK tests: builds the app exactly as `cdk synth` does (same entry function,
 * same cdk.json feature flags, cdk-nag plugin included) but with inline stub code instead of the
 * esbuild bundles, so a cell synthesizes in about a second.
 */

/** cdk.json's context (feature flags), as the CDK CLI would pass it. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Inline placeholder code: synthesizes like real code, bundles nothing. */
export const STUB_LAMBDA_CODE: LambdaCodeProvider = {
  relay: () => lambda.Code.fromInline('exports.handler = async () => undefined;'),
  processor: () => lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  stuckMonitor: () => lambda.Code.fromInline('exports.handler = async () => undefined;'),
  monthlyReport: () => lambda.Code.fromInline('exports.handler = async () => undefined;'),
  migrations: () =>
    lambda.Code.fromInline('exports.handler = async () => ({ PhysicalResourceId: "schema" });'),
};

export interface SynthesizedCells {
  readonly stacks: readonly CellStack[];
  /** Template by cell name. */
  readonly templates: ReadonlyMap<string, Template>;
}

/**
 * Builds and synthesizes the selected cells (comma list; undefined = whole catalog) once, from
 * `catalog` (default: the app's own).
 */
export function synthCells(cells?: string, catalog?: readonly CellDefinition[]): SynthesizedCells {
  const app = buildApp(
    { ...cdkJsonContext(), ...(cells === undefined ? {} : { cells }) },
    { lambdaCode: STUB_LAMBDA_CODE, defaultAccount: '111122223333', ...(catalog ? { catalog } : {}) },
  );
  const stacks = app.node.children.filter((c): c is CellStack => c instanceof CellStack);
  const templates = new Map(stacks.map((s) => [s.cell.name, Template.fromStack(s)] as const));
  return { stacks, templates };
}

/** A CloudFormation template as plain JSON, typed enough to walk it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
export interface CfnTemplateJson {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: unknown; Description?: string }>;
}

export function templateJson(template: Template): CfnTemplateJson {
  return template.toJSON() as CfnTemplateJson;
}

/** Logical ids of the resources of one type, in template order. */
export function logicalIdsOfType(template: Template, type: string): string[] {
  return Object.entries(templateJson(template).Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}

/** The one logical id of `type` whose id starts with `prefix`; throws if not exactly one. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = logicalIdsOfType(template, type).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, got ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** IAM policy statements attached to a role (by the role's logical id). */
export interface PolicyStatementJson {
  readonly Action: string | string[];
  readonly Effect: string;
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const resources = templateJson(template).Resources;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleLogicalId}"`))
    .flatMap(
      (r) =>
        (r.Properties?.PolicyDocument as { Statement?: PolicyStatementJson[] } | undefined)?.Statement ?? [],
    );
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** `{"Fn::GetAtt": [id, "Arn"]}` / `{"Ref": id}` → the logical id it names, else the JSON text. */
export function referencedId(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
  if (v['Fn::GetAtt']) return v['Fn::GetAtt'][0];
  if (v.Ref) return v.Ref;
  return JSON.stringify(value);
}

export function resourcesOf(statement: PolicyStatementJson): string[] {
  const list = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  return list.map(referencedId);
}
