import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EC2_TERMINATED_PATTERN,
  EC2_TERMINATION_EVENT,
} from '../../cells/matching/fixtures/eventbridge-doc-examples.js';
import { jsonOf, runOps, runOpsInProcess } from './support/run-ops.js';

/**
 * Arguments, help and the offline matchers. Exit codes: 2 for bad arguments (with a message naming
 * the option) and invalid patterns, 0/1 for match/no match. Argument checks run in-process (no
 * cell, no AWS: they fail before any backend is built); the matcher examples also run as a child
 * process, exactly as an operator types them.
 */

const LOCAL = ['--local', 'http://127.0.0.1:9'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-args-'));

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('invoice-ops arguments', () => {
  describe('--help', () => {
    const verbs = [
      ['send'],
      ['load'],
      ['timeline'],
      ['stuck'],
      ['dlq'],
      ['dlq', 'list'],
      ['dlq', 'redrive'],
      ['replay'],
      ['reconcile'],
      ['alarms'],
      ['test-pattern'],
      ['test-filter'],
    ];
    it.each(verbs.map((v) => [v.join(' '), v] as const))(
      'prints the usage of %s and exits 0',
      async (_name, verb) => {
        // Act
        const result = await runOpsInProcess([...verb, '--help']);

        // Assess
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`Usage: invoice-ops ${verb.join(' ')}`);
      },
    );

    it('lists every verb at the top level when run as a child process', async () => {
      // Act
      const result = await runOps(['--help']);

      // Assess
      expect(result.code).toBe(0);
      for (const verb of [
        'send',
        'load',
        'timeline',
        'stuck',
        'dlq',
        'replay',
        'reconcile',
        'alarms',
        'test-pattern',
        'test-filter',
      ]) {
        expect(result.stdout).toMatch(new RegExp(`\\n  ${verb} `));
      }
    });
  });

  describe('bad arguments', () => {
    const cases: [string, string[], RegExp][] = [
      [
        'a rate that is not a number',
        ['load', ...LOCAL, '--rate', 'fast', '--count', '1'],
        /option '--rate <events\/s>' argument 'fast' is invalid/,
      ],
      [
        'a negative count',
        ['load', ...LOCAL, '--count', '-3'],
        /option '--count <events>' argument '-3' is invalid/,
      ],
      [
        'a load without duration or count',
        ['load', ...LOCAL],
        /load needs --duration <duration> or --count <events>/,
      ],
      [
        'shares adding up above 1',
        ['load', ...LOCAL, '--count', '1', '--failure-rate', '0.7', '--stall-rate', '0.7'],
        /--failure-rate \+ --stall-rate must be at most 1/,
      ],
      [
        'an unknown stage',
        ['dlq', 'list', ...LOCAL, '--stage', 'shipping'],
        /option '--stage <stage>' argument 'shipping' is invalid.*ingestion/s,
      ],
      [
        'an invoice id with spaces',
        ['timeline', 'INV 1', ...LOCAL],
        /value 'INV 1' is invalid for argument 'invoiceId'. must be an invoice id/,
      ],
      ['a replay without --from', ['replay', ...LOCAL], /required option '--from <time>' not specified/],
      [
        'a window that ends before it starts',
        ['replay', ...LOCAL, '--from', '2026-11-20T10:00:00Z', '--to', '2026-11-20T09:00:00Z'],
        /--from must be before --to/,
      ],
      [
        'a time that is not a time',
        ['reconcile', ...LOCAL, '--from', 'yesterday'],
        /option '--from <time>' argument 'yesterday' is invalid. must be an RFC 3339 time/,
      ],
      [
        'a local URL that is not http',
        ['stuck', '--local', 'ftp://cell'],
        /--local must be an http\(s\) URL/,
      ],
      ['a local URL that is not a URL', ['stuck', '--local', 'cell:8787:x'], /--local must be/],
      ['no target', ['stuck'], /no target: pass --local <url> .* or --cell <name>/],
      ['two targets', ['stuck', ...LOCAL, '--cell', 'us-east-1'], /--local and --cell are exclusive/],
      ['an unknown cell', ['alarms', '--cell', 'mars-1'], /--cell: unknown cell "mars-1"/],
      [
        'a redrive rate of 0',
        ['dlq', 'redrive', ...LOCAL, '--rate', '0'],
        /option '--rate <msgs\/s>' argument '0' is invalid/,
      ],
      [
        'a file that does not exist',
        ['send', path.join(tmp, 'missing.jsonl'), ...LOCAL, '--stage', 'ingestion'],
        /missing\.jsonl: cannot read it \(ENOENT\)/,
      ],
      ['an unknown verb', ['redrive'], /unknown command 'redrive'/],
      ['an unknown option', ['stuck', ...LOCAL, '--verbose'], /unknown option '--verbose'/],
    ];
    it.each(cases)('exits 2 naming the problem for %s', async (_name, argv, message) => {
      // Act
      const result = await runOpsInProcess(argv);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    });

    it('exits 2 on a bad option when run as a child process too', async () => {
      // Act
      const result = await runOps(['load', '--local', 'http://127.0.0.1:9', '--rate', 'x', '--count', '1']);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--rate/);
    });
  });

  describe('test-pattern', () => {
    it('prints true and exits 0 for the documented terminated-instance example', async () => {
      // Act
      const result = await runOps([
        'test-pattern',
        '--pattern',
        JSON.stringify(EC2_TERMINATED_PATTERN),
        '--event',
        JSON.stringify(EC2_TERMINATION_EVENT),
      ]);

      // Assess
      expect(result).toMatchObject({ code: 0, stdout: 'true\n' });
    });

    it('prints false and exits 1 when one field differs, reading both from files', async () => {
      // Prepare
      const patternFile = path.join(tmp, 'pattern.json');
      const eventFile = path.join(tmp, 'event.json');
      fs.writeFileSync(patternFile, JSON.stringify(EC2_TERMINATED_PATTERN));
      fs.writeFileSync(
        eventFile,
        JSON.stringify({
          ...EC2_TERMINATION_EVENT,
          detail: { ...EC2_TERMINATION_EVENT.detail, state: 'running' },
        }),
      );

      // Act
      const result = await runOps([
        'test-pattern',
        '--pattern',
        `@${patternFile}`,
        '--event',
        `@${eventFile}`,
      ]);

      // Assess
      expect(result).toMatchObject({ code: 1, stdout: 'false\n' });
    });

    it('matches the platform own stage rule pattern against a bus event', async () => {
      // Prepare
      const pattern = { source: ['invoice.platform'], 'detail-type': ['invoice.posting'] };
      const event = {
        source: 'invoice.platform',
        'detail-type': 'invoice.posting',
        detail: { receivedAtMs: 1 },
      };

      // Act
      const result = await runOpsInProcess([
        'test-pattern',
        '--pattern',
        JSON.stringify(pattern),
        '--event',
        JSON.stringify(event),
        '--json',
      ]);

      // Assess
      expect(result.code).toBe(0);
      expect(jsonOf<{ valid: boolean; result: boolean }>(result)).toEqual({ valid: true, result: true });
    });

    it('exits 2 with the reason for a malformed pattern', async () => {
      // Act
      const result = await runOps([
        'test-pattern',
        '--pattern',
        '{"source": "aws.ec2"}',
        '--event',
        JSON.stringify(EC2_TERMINATION_EVENT),
      ]);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /invalid event pattern \(--pattern\): pattern\.source: expected an array/,
      );
    });

    it('exits 2 with the reason for a pattern that is not JSON, and for an event that is not JSON', async () => {
      // Act
      const badPattern = await runOpsInProcess(['test-pattern', '--pattern', '{source:', '--event', '{}']);
      const badEvent = await runOpsInProcess([
        'test-pattern',
        '--pattern',
        '{"source":["a"]}',
        '--event',
        'nope',
      ]);

      // Assess
      expect(badPattern.code).toBe(2);
      expect(badPattern.stderr).toMatch(/event pattern is not valid JSON/);
      expect(badEvent.code).toBe(2);
      expect(badEvent.stderr).toMatch(/--event is not valid JSON/);
    });

    it('exits 2 naming the option when a pattern file cannot be read', async () => {
      // Act
      const result = await runOpsInProcess([
        'test-pattern',
        '--pattern',
        `@${path.join(tmp, 'nope.json')}`,
        '--event',
        '{}',
      ]);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--pattern @.*nope\.json: cannot read .*ENOENT/);
    });
  });

  describe('test-filter', () => {
    // "String value matching" in the SNS developer guide: customer_interests rugby or tennis.
    const policy = JSON.stringify({ customer_interests: ['rugby', 'tennis'] });

    it('prints true and exits 0 for a matching message body', async () => {
      // Act
      const result = await runOps([
        'test-filter',
        '--policy',
        policy,
        '--message',
        '{"customer_interests":"rugby"}',
      ]);

      // Assess
      expect(result).toMatchObject({ code: 0, stdout: 'true\n' });
    });

    it('prints false and exits 1 for a message body that does not match', async () => {
      // Act
      const result = await runOpsInProcess([
        'test-filter',
        '--policy',
        policy,
        '--message',
        '{"customer_interests":"baseball"}',
      ]);

      // Assess
      expect(result).toMatchObject({ code: 1, stdout: 'false\n' });
    });

    it('exits 2 with the reason for a policy SNS would refuse', async () => {
      // Prepare: SNS allows at most five keys.
      const tooMany = JSON.stringify({ a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] });

      // Act
      const result = await runOps(['test-filter', '--policy', tooMany, '--message', '{"a":"1"}']);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /invalid filter policy \(--policy\): filter policy has 6 keys; SNS allows at most 5/,
      );
    });
  });
});
