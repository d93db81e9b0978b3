import type { CellTopology } from '../../cells/topology.js';

/**
 * SQL text shared by every SQL adapter (Timestream, SQLite, PostgreSQL): the ANSI quoting rules
 * (`"identifier"`, `'literal'`) are the same in all three, so they are written once here, with the
 * stage CASE expressions built from the topology. Text only: no driver, no client.
 *
 * Values from definitions (stage names, statuses, cell names) are validated against a strict
 * pattern before they are quoted; adapters that can bind parameters (SQLite) bind them instead.
 *
 * @example
 * quoteIdentifier('invoiceId');        // "invoiceId"
 * stageOrderCase('stage', topology);    // CASE stage WHEN 'ingestion' THEN 0 ... END
 */

/** A query parameter that cannot be put into SQL text safely. */
export class QueryParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryParameterError';
  }
}

/** Stage names, statuses, cells, currencies: what a dashboard definition may put in a literal. */
const SAFE_LITERAL = /^[A-Za-z0-9_.:-]{1,128}$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal of a value the caller has already checked (e.g. against an id pattern). */
export function quoteText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL string literal of a validated value (doubling quotes is the second line of defence). */
export function quoteLiteral(value: string, what: string): string {
  if (!SAFE_LITERAL.test(value)) {
    throw new QueryParameterError(`${what} ${JSON.stringify(value)} is not a safe SQL literal`);
  }
  return quoteText(value);
}

/** `CASE <column> WHEN '<stage>' THEN <order> ... END`: Timestream has no stage-order column. */
export function stageOrderCase(column: string, topology: CellTopology): string {
  const arms = topology.stages.map((s) => `WHEN ${quoteLiteral(s.name, 'stage')} THEN ${s.order}`);
  return `CASE ${column} ${arms.join(' ')} END`;
}

/** `CASE <orderColumn> WHEN 0 THEN 'ingestion' ... END`: back from order to stage name. */
export function stageNameCase(orderColumn: string, topology: CellTopology): string {
  const arms = topology.stages.map((s) => `WHEN ${s.order} THEN ${quoteLiteral(s.name, 'stage')}`);
  return `CASE ${orderColumn} ${arms.join(' ')} END`;
}

/** `CASE <orderColumn> WHEN 0 THEN 900000 ... END`: each stage's SLA in ms (last stage 0). */
export function stageSlaMsCase(orderColumn: string, topology: CellTopology): string {
  const arms = topology.stages.map((s) => `WHEN ${s.order} THEN ${s.slaSec * 1000}`);
  return `CASE ${orderColumn} ${arms.join(' ')} END`;
}

/**
 * A boolean SQL expression: the status ends the invoice's lifecycle at that stage (topology
 * `terminalStatuses`), or `(1 = 0)` when no stage has one.
 */
export function terminalStatusCondition(
  orderColumn: string,
  statusColumn: string,
  topology: CellTopology,
): string {
  const arms = topology.stages
    .filter((s) => s.terminalStatuses.length > 0)
    .map(
      (s) =>
        `(${orderColumn} = ${s.order} AND ${statusColumn} IN (${s.terminalStatuses
          .map((t) => quoteLiteral(t, 'status'))
          .join(', ')}))`,
    );
  return arms.length > 0 ? `(${arms.join(' OR ')})` : '(1 = 0)';
}
