import { type Command, InvalidArgumentError, Option } from 'commander';
import { type ApiKeySummary, KEY_NAME_PATTERN, ROLES, type Role } from '../../../schemas/api/index.js';
import { EXIT_CODES, UsageError } from '../backend.js';
import { LocalKeys } from '../local/local-keys.js';
import { renderJson, renderTable } from '../output.js';
import { API_KEY_ENV } from './cli-context.js';
import { localUrl } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/**
 * `invoice-ops keys create|list|revoke` (local cells only, with an operator key): a local cell's
 * API keys. `create` prints the new key once, alone on stdout (so `KEY=$(invoice-ops keys create
 * …)` works), and what it is on stderr; `--json` prints `{"key", "name", "role"}`. `list` never
 * shows a secret. `revoke` takes an id or the name of a working key.
 *
 * @example
 * registerKeys(kit);
 * // invoice-ops keys create --local http://127.0.0.1:8787 --api-key "$OPERATOR_KEY" --role viewer --name alice
 */

interface KeysOptions {
  local?: string;
  apiKey?: string;
  json: boolean;
}

const NAME = new RegExp(KEY_NAME_PATTERN);

/** A key name the cell accepts. */
export function keyName(value: string): string {
  if (!NAME.test(value)) {
    throw new InvalidArgumentError(
      'must be 1 to 64 letters, digits, spaces and . _ : @ -, starting with a letter or digit',
    );
  }
  return value;
}

function withLocalTarget(command: Command): Command {
  return command
    .option('--local <url>', 'the local cell, e.g. http://127.0.0.1:8787')
    .option('--api-key <key>', `an operator key of the cell (default: $${API_KEY_ENV})`)
    .option('--json', 'print JSON instead of text', false);
}

function keysOf(kit: VerbKit, opts: KeysOptions): LocalKeys {
  if (opts.local === undefined) {
    throw new UsageError(
      "keys needs --local <url>: it manages a local cell's keys (a deployed cell's API keys live in API Gateway)",
    );
  }
  return new LocalKeys({ base: localUrl(opts.local), apiKey: opts.apiKey ?? kit.env[API_KEY_ENV] });
}

function keyRows(keys: readonly ApiKeySummary[]): string[][] {
  return keys.map((k) => [k.name, k.role, k.id, k.createdAt, k.revokedAt ?? '-']);
}

function registerCreate(kit: VerbKit, keys: Command): void {
  withLocalTarget(
    keys
      .command('create')
      .description('create a key and print it once (the cell keeps only its hash)')
      .addOption(new Option('--role <role>', 'what the key may do').choices([...ROLES]).makeOptionMandatory())
      .requiredOption('--name <name>', 'a name no working key has, e.g. billing-export', keyName),
  ).action(async (opts: KeysOptions & { role: Role; name: string }) => {
    const created = await keysOf(kit, opts).create(opts.name, opts.role);
    if (opts.json) {
      kit.io.stdout(renderJson({ key: created.key, name: created.name, role: created.role }));
    } else {
      kit.io.stdout(`${created.key}\n`);
      kit.io.stderr(
        `created ${created.role} key "${created.name}" (id ${created.id}); it is shown only now: store it, then pass it with --api-key or ${API_KEY_ENV}, or x-api-key\n`,
      );
    }
    kit.setExitCode(EXIT_CODES.ok);
  });
}

export function registerKeys(kit: VerbKit): void {
  const keys = kit.program
    .command('keys')
    .description("a local cell's API keys: create, list, revoke (an operator key)");
  registerCreate(kit, keys);
  withLocalTarget(keys.command('list').description('every key: name, role, id, created, revoked')).action(
    async (opts: KeysOptions) => {
      const list = await keysOf(kit, opts).list();
      kit.io.stdout(
        opts.json
          ? renderJson({ keys: list })
          : renderTable(['name', 'role', 'id', 'created', 'revoked'], keyRows(list)),
      );
      kit.setExitCode(EXIT_CODES.ok);
    },
  );
  withLocalTarget(
    keys
      .command('revoke')
      .description('revoke a key by id or name; it stops working at once')
      .argument('<key>', 'the id of a key, or the name of a working key'),
  ).action(async (ref: string, opts: KeysOptions) => {
    const revoked = await keysOf(kit, opts).revoke(ref);
    kit.io.stdout(
      opts.json
        ? renderJson(revoked)
        : `revoked ${revoked.role} key "${revoked.name}" (id ${revoked.id}) at ${revoked.revokedAt ?? '-'}\n`,
    );
    kit.setExitCode(EXIT_CODES.ok);
  });
}
