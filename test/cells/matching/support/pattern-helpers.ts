import { compileEventPattern, compileFilterPolicy, PatternError } from '../../../../cells/matching/index.js';

/** Prepare/Act/Assess in one line per case: compile the event pattern once, then ask about one event. */
export function eventMatches(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}

/** Compile the policy and test one message body (already parsed, as the caller would). */
export function bodyMatches(policy: unknown, body: unknown): boolean {
  return compileFilterPolicy(policy).matches(body);
}

/** The PatternError `compile` throws; fails the test when it throws something else or nothing. */
export function patternErrorOf(compile: () => unknown): PatternError {
  try {
    compile();
  } catch (err) {
    if (err instanceof PatternError) return err;
    throw err;
  }
  throw new Error('expected a PatternError, but it compiled');
}
