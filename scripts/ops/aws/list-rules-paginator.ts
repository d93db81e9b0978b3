import {
  type EventBridgeClient,
  ListRulesCommand,
  type ListRulesCommandInput,
  type ListRulesCommandOutput,
} from '@aws-sdk/client-eventbridge';

/**
 * `ListRules` page by page, shaped like the SDK's `paginate*` helpers: the EventBridge client
 * ships no paginator, and this keeps the one `NextToken` loop of the CLI in one place. Each page is
 * requested with its own input object (the input passed in is not changed).
 *
 * @example
 * for await (const page of paginateListRules({ client: eventBridge }, { EventBusName: busName })) {
 *   rules.push(...(page.Rules ?? []));
 * }
 */
export async function* paginateListRules(
  config: { readonly client: EventBridgeClient },
  input: ListRulesCommandInput,
): AsyncGenerator<ListRulesCommandOutput, undefined, unknown> {
  let nextToken: string | undefined;
  do {
    const page = await config.client.send(
      new ListRulesCommand({ ...input, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    yield page;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}
