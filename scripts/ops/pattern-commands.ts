import fs from 'node:fs';
import {
  type CompiledMatcher,
  compileEventPattern,
  compileFilterPolicy,
  PatternError,
  parsePatternText,
} from '../../cells/matching/index.js';
import { EXIT_CODES, UsageError } from './backend.js';
import { renderJson, type VerbContext } from './output.js';

/**
 * `test-pattern` and `test-filter`: offline twins of EventBridge `TestEventPattern` and of an SNS
 * subscription filter policy (MessageBody scope), on the same matchers the local cell routes with.
 * Prints `true` or `false`; exit code 0 on a match, 1 on no match, 2 for an invalid pattern/policy
 * (with the reason) or an unreadable argument.
 *
 * An argument is JSON text, or `@path` to read it from a file.
 *
 * @example
 * const code = runTestPattern({ kind: 'event-pattern', pattern: '{"source":["a"]}', input: '{"source":"a"}' }, ctx);
 */
export interface TestPatternOptions {
  readonly kind: 'event-pattern' | 'filter-policy';
  /** The `--pattern`/`--policy` argument: JSON or `@file`. */
  readonly pattern: string;
  /** The `--event`/`--message` argument: JSON or `@file`. */
  readonly input: string;
}

const KINDS = {
  'event-pattern': {
    document: 'event pattern',
    patternOption: '--pattern',
    inputOption: '--event',
    compile: compileEventPattern,
  },
  'filter-policy': {
    document: 'filter policy',
    patternOption: '--policy',
    inputOption: '--message',
    compile: compileFilterPolicy,
  },
} as const;

/** The text of an argument: itself, or the file named after `@`. Throws {@link UsageError} naming the option. */
export function argumentText(value: string, option: string): string {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${option} ${value}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export function runTestPattern(options: TestPatternOptions, ctx: VerbContext): number {
  const kind = KINDS[options.kind];
  let matcher: CompiledMatcher;
  try {
    matcher = kind.compile(
      parsePatternText(argumentText(options.pattern, kind.patternOption), kind.document),
    );
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    ctx.io.stderr(`invalid ${kind.document} (${kind.patternOption}): ${error.message}\n`);
    if (ctx.json)
      ctx.io.stdout(renderJson({ valid: false, reason: error.message, path: error.path ?? null }));
    return EXIT_CODES.usage;
  }
  const inputText = argumentText(options.input, kind.inputOption);
  let input: unknown;
  try {
    input = JSON.parse(inputText);
  } catch (error) {
    throw new UsageError(`${kind.inputOption} is not valid JSON: ${(error as Error).message}`);
  }
  const matched = matcher.matches(input);
  ctx.io.stdout(ctx.json ? renderJson({ valid: true, result: matched }) : `${matched}\n`);
  return matched ? EXIT_CODES.ok : EXIT_CODES.failed;
}
