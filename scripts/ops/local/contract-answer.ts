import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { type ApiRoute, LOCAL_CELL_ROUTES, type LocalCellRouteName } from '../../../schemas/api/index.js';
import { OpsError } from '../backend.js';

/**
 * A local cell's JSON answer checked against the HTTP contract (`schemas/api`) before the CLI
 * reads it: the CLI reads exactly the contract's fields, and an answer that does not match (a cell
 * of another version, a proxy in between) fails with an {@link AnswerContractError} naming the
 * fields, instead of being half-read.
 *
 * @example
 * const stuck = contractAnswer('stuck', 200, answer.body); // typed StuckAnswer, or throws
 */

type Routes = typeof LOCAL_CELL_ROUTES;

/** The statuses of route `N` whose answer the contract types (not its `4xx`/`5xx` error bodies). */
export type AnswerStatus<N extends LocalCellRouteName> = Extract<keyof Routes[N]['response'], number>;

/** The body of route `N`'s answer with status `S`, as the contract types it. */
export type ContractAnswer<
  N extends LocalCellRouteName,
  S extends AnswerStatus<N>,
> = Routes[N]['response'][S] extends infer Schema extends TSchema ? Static<Schema> : never;

/** Problems named in an {@link AnswerContractError}; the rest are counted. */
const SHOWN_PROBLEMS = 3;

/** A local cell answered something the HTTP contract does not allow. Exit code 1. */
export class AnswerContractError extends OpsError {
  /** Each problem as `<JSON pointer> <what is wrong>`, e.g. `/invoices/0/stage is missing`. */
  readonly problems: readonly string[];
  constructor(what: string, problems: readonly string[]) {
    const shown = problems.slice(0, SHOWN_PROBLEMS).join('; ');
    const more = problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : '';
    super(
      `the ${what} answer does not match the local cell's HTTP contract (schemas/api): ${shown}${more}. ` +
        'Are the CLI and the cell of the same version?',
    );
    this.name = 'AnswerContractError';
    this.problems = problems;
  }
}

/** `/a/b is missing` for each missing required field, else `<pointer> <message>`. */
function problemsOf(schema: TSchema, body: unknown): string[] {
  return Value.Errors(schema, body).flatMap((e) => {
    const at = e.instancePath || '(root)';
    if (e.keyword === 'required') {
      const missing = (e.params as { requiredProperties?: readonly string[] }).requiredProperties ?? [];
      return missing.map((field) => `${e.instancePath}/${field} is missing`);
    }
    return [`${at} ${e.message}`];
  });
}

/**
 * `body` as the contract types the answer of route `name` with `status`; throws
 * {@link AnswerContractError} naming every field that does not match.
 */
export function contractAnswer<N extends LocalCellRouteName, S extends AnswerStatus<N>>(
  name: N,
  status: S,
  body: unknown,
): ContractAnswer<N, S> {
  const route: ApiRoute = LOCAL_CELL_ROUTES[name];
  const schema = route.response[String(status)] as TSchema;
  if (Value.Check(schema, body)) return body as ContractAnswer<N, S>;
  throw new AnswerContractError(`${route.method} ${route.url} (${status})`, problemsOf(schema, body));
}
