/**
 * The message of a thrown value, for log fields and panel errors: monitoring code catches errors
 * it did not raise (SQLite, fetch), and a log line wants the text, not the object.
 *
 * @example
 * logger.warn('dashboard panel failed', { error: errorText(error) });
 */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
