import { runTestPattern } from '../pattern-commands.js';
import type { VerbKit } from './verb-kit.js';

/**
 * The offline matchers: `test-pattern` (EventBridge event pattern) and `test-filter` (SNS filter
 * policy). They need no target.
 *
 * @example
 * registerTestPattern(kit);
 * registerTestFilter(kit);
 */
export function registerTestPattern(kit: VerbKit): void {
  kit.program
    .command('test-pattern')
    .description(
      'test an EventBridge event pattern against an event, like TestEventPattern: prints true/false; exit 0 match, 1 no match, 2 invalid pattern',
    )
    .requiredOption('--pattern <json|@file>', 'the event pattern')
    .requiredOption(
      '--event <json|@file>',
      'the event (the full bus event: source, detail-type, detail, ...)',
    )
    .option('--json', 'print JSON', false)
    .action((opts: { pattern: string; event: string; json: boolean }) => {
      kit.setExitCode(
        runTestPattern(
          { kind: 'event-pattern', pattern: opts.pattern, input: opts.event },
          kit.verbContext(opts),
        ),
      );
    });
}

export function registerTestFilter(kit: VerbKit): void {
  kit.program
    .command('test-filter')
    .description(
      'test an SNS filter policy (MessageBody scope) against a message body: prints true/false; exit 0 match, 1 no match, 2 invalid policy',
    )
    .requiredOption('--policy <json|@file>', 'the filter policy')
    .requiredOption('--message <json|@file>', 'the message body (JSON)')
    .option('--json', 'print JSON', false)
    .action((opts: { policy: string; message: string; json: boolean }) => {
      kit.setExitCode(
        runTestPattern(
          { kind: 'filter-policy', pattern: opts.policy, input: opts.message },
          kit.verbContext(opts),
        ),
      );
    });
}
