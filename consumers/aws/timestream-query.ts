import {
  type ColumnInfo,
  paginateQuery,
  type Row,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';

/**
 * Runs a Timestream query to its last page with the SDK's paginator (Timestream may answer a
 * page with no rows and a NextToken, so every page is read) and returns the rows as objects.
 *
 * @example
 * const rows = await queryAllRows(client, timelineQuery(database, table, 'INV-1'));
 */
export async function queryAllRows(client: TimestreamQueryClient, queryString: string): Promise<QueryRow[]> {
  const rows: QueryRow[] = [];
  for await (const page of paginateQuery({ client }, { QueryString: queryString })) {
    rows.push(...rowsToObjects(page.ColumnInfo ?? [], page.Rows ?? []));
  }
  return rows;
}

/** A query result row by column name; SQL NULL is `null`. */
export type QueryRow = Readonly<Record<string, string | null>>;

/** Turns one page of Query output into rows by column name. Only scalar columns are expected. Pure. */
export function rowsToObjects(columns: readonly ColumnInfo[], rows: readonly Row[]): QueryRow[] {
  return rows.map((row) => {
    const out: Record<string, string | null> = {};
    (row.Data ?? []).forEach((datum, i) => {
      const name = columns[i]?.Name ?? `column_${i}`;
      if (datum.NullValue) out[name] = null;
      else if (datum.ScalarValue !== undefined) out[name] = datum.ScalarValue;
      else throw new Error(`column ${name} is not a scalar; the store's queries select scalars only`);
    });
    return out;
  });
}
