import { Command, InvalidArgumentError, Option } from 'commander';
import { CELL_TOPOLOGY } from '../topology.js';
import { MIN_API_KEY_LENGTH } from './api/api-keys.js';
import { readTlsFiles, type TlsMaterial, TlsOptionsError } from './api/tls.js';
import { bannerInfoOf, renderBanner } from './banner.js';
import { defaultDataDir } from './cell-config.js';
import { ENGINE_THREAD_MODES, type EngineThreadMode } from './engine/engine-host.js';
import { startLocalCell } from './local-cell.js';
import {
  createLogger,
  defaultLogFormat,
  isLogFormat,
  isLogLevel,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from './logger.js';
import { defaultPlugins } from './plugins/default-plugins.js';
import { assertWebhookUrl } from './plugins/monitoring-plugin.js';
import { assertReportWebhookUrl } from './reports/report-webhook.js';
import { backupCliOptions, backupOptionsOf } from './storage/backup-options.js';
import { SYNCHRONOUS_MODES, type SynchronousMode } from './storage/db.js';
import { retentionCliOptions, retentionOptionsOf } from './storage/retention-options.js';
import { SubscribersFileError, topologyWithSubscribersFile } from './subscribers-file.js';

/**
 * `npm start` — runs a durable local cell. The only place that reads argv (and nothing reads the
 * environment). Prints JSON log lines on stdout; the "cell ready" line carries the URL (and the
 * producer key when one was generated).
 *
 * Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 1 when the cell cannot start or dies,
 * 2 for bad command-line options.
 *
 * @example
 * npm start -- --port 8787 --data-dir ./data/my-cell --api-key "$KEY"
 */

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

const settings = CELL_TOPOLOGY.settings;

/** Shown (banner, or the `cell ready` line) until the data dir has an operator key. */
const OPERATOR_KEY_HINT =
  'no operator key yet: restart with --operator-key "$(openssl rand -base64 32)" to manage keys, redrive, replay and back up (keep that key safe)';
const firstStage = CELL_TOPOLOGY.stages[0];

const program = new Command()
  .name('local-cell')
  .description(
    'Run a durable local invoice-monitoring cell: HTTP API -> bus + archive -> FIFO topics -> FIFO queues + DLQs -> processors -> SQLite time-series store.',
  )
  .option('--port <n>', 'TCP port (0 picks a free one)', integer(0, 65_535), 8787)
  .option(
    '--host <address>',
    'address to bind; any non-loopback address makes reads require x-api-key too',
    '127.0.0.1',
  )
  .option('--data-dir <dir>', 'directory of the database and lock file', defaultDataDir())
  .option(
    '--api-key <key>',
    'producer API key to register and accept (without it, one is generated on first start)',
  )
  .option(
    '--operator-key <key>',
    `operator API key to register (at least ${MIN_API_KEY_LENGTH} characters): redrive, replay, key management, reads`,
    (value: string) => {
      if (value.length < MIN_API_KEY_LENGTH) {
        throw new InvalidArgumentError(
          `must be at least ${MIN_API_KEY_LENGTH} characters, got ${value.length}`,
        );
      }
      return value;
    },
  )
  .option('--tls-cert <file>', 'PEM certificate (chain) to serve HTTPS with; needs --tls-key')
  .option('--tls-key <file>', 'PEM private key of --tls-cert')
  .option('--rate-limit <rps>', 'requests/s per API key', integer(1, 10_000_000), settings.apiRateLimitRps)
  .option(
    '--burst <n>',
    `extra requests per key per 10 s burst window`,
    integer(1, 10_000_000),
    settings.apiBurstLimit,
  )
  .option(
    '--visibility-timeout-sec <n>',
    `queue visibility timeout for every stage (default from the topology: ${firstStage?.visibilityTimeoutSec})`,
    integer(1, 43_200),
  )
  .option(
    '--max-receive-count <n>',
    `receives before a message goes to the DLQ (default from the topology: ${firstStage?.maxReceiveCount})`,
    integer(1, 1_000),
  )
  .addOption(
    new Option(
      '--synchronous <mode>',
      'SQLite synchronous mode of API commits: full survives power loss, normal survives kill -9',
    )
      .choices(SYNCHRONOUS_MODES.map((m) => m.toLowerCase()))
      .default('full'),
  )
  .option(
    '--full-check',
    'check the whole database before starting, history tables included (minutes at millions of records); by default a start checks the tables it resumes from and backups check the rest',
    false,
  )
  .addOption(
    new Option(
      '--processor-thread <mode>',
      'run the engine (queues, processors, store writes) in a worker thread or in the API thread',
    )
      .choices([...ENGINE_THREAD_MODES])
      .default('worker'),
  )
  .option('--cell-name <name>', 'cell name written into every record', 'local')
  .option(
    '--alarm-webhook <url>',
    'http(s) URL that receives a JSON POST on every alarm state change (alarms are always logged)',
    (value: string) => {
      try {
        assertWebhookUrl(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    },
  )
  .option(
    '--no-monthly-report',
    `do not store the previous month's report on the 1st at 00:05 (${settings.timeZone}); GET /reports/{month} still answers`,
  )
  .option(
    '--report-webhook <url>',
    'http(s) URL that receives a JSON POST when a monthly report is stored (links and per-currency totals)',
    (value: string) => {
      try {
        assertReportWebhookUrl(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    },
  )
  .option('--enable-fault-injection', 'expose POST/DELETE /admin/faults (tests only)', false)
  .option(
    '--subscribers <file>',
    'JSON file of downstream subscribers by stage (pull, or push to an endpoint)',
  )
  .addOption(new Option('--log-level <level>', 'log level').choices(Object.keys(LOG_LEVELS)).default('info'))
  .addOption(
    new Option(
      '--log-format <format>',
      'json: one JSON object per line; pretty: a start banner and readable lines',
    )
      .choices([...LOG_FORMATS])
      .default(defaultLogFormat(process.stdout.isTTY), 'pretty on a terminal, json otherwise'),
  )
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

for (const option of backupCliOptions()) program.addOption(option);
for (const option of retentionCliOptions(settings)) program.addOption(option);
program.parse(process.argv);
const backup = backupOptionsOf(program.opts(), (message) => program.error(message));
const retention = retentionOptionsOf(program.opts(), settings, (message) => program.error(message));
const opts = program.opts<{
  port: number;
  host: string;
  dataDir: string;
  apiKey?: string;
  operatorKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  rateLimit: number;
  burst: number;
  visibilityTimeoutSec?: number;
  maxReceiveCount?: number;
  synchronous: string;
  processorThread: EngineThreadMode;
  cellName: string;
  enableFaultInjection: boolean;
  fullCheck: boolean;
  subscribers?: string;
  alarmWebhook?: string;
  monthlyReport: boolean;
  reportWebhook?: string;
  logLevel: string;
  logFormat: string;
}>();

const logLevel: LogLevel = isLogLevel(opts.logLevel) ? opts.logLevel : 'info';
const logFormat: LogFormat = isLogFormat(opts.logFormat) ? opts.logFormat : 'json';
const logger = createLogger({ level: logLevel, format: logFormat, base: { component: 'cell' } });

/** `--tls-cert`/`--tls-key` read and checked before anything starts; a bad pair is a usage error. */
function tlsOf(): TlsMaterial | undefined {
  try {
    return readTlsFiles({ certFile: opts.tlsCert, keyFile: opts.tlsKey });
  } catch (error) {
    if (!(error instanceof TlsOptionsError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
}
const tls = tlsOf();

/** The topology, with `--subscribers`' declarations; a bad file is a usage error. */
function topologyOf(): typeof CELL_TOPOLOGY {
  if (opts.subscribers === undefined) return CELL_TOPOLOGY;
  try {
    return topologyWithSubscribersFile(opts.subscribers);
  } catch (error) {
    if (!(error instanceof SubscribersFileError)) throw error;
    process.stderr.write(`error: --subscribers: ${error.message}\n`);
    process.exit(2);
  }
}
const topology = topologyOf();

async function run(): Promise<void> {
  let stopping = false;
  const cell = await startLocalCell({
    topology,
    dataDir: opts.dataDir,
    port: opts.port,
    host: opts.host,
    ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
    ...(opts.operatorKey !== undefined ? { operatorKey: opts.operatorKey } : {}),
    ...(tls ? { tls } : {}),
    rateLimitRps: opts.rateLimit,
    burst: opts.burst,
    ...(opts.visibilityTimeoutSec !== undefined ? { visibilityTimeoutSec: opts.visibilityTimeoutSec } : {}),
    ...(opts.maxReceiveCount !== undefined ? { maxReceiveCount: opts.maxReceiveCount } : {}),
    synchronous: opts.synchronous.toUpperCase() as SynchronousMode,
    fullCheck: opts.fullCheck,
    processorThread: opts.processorThread,
    cellName: opts.cellName,
    enableFaultInjection: opts.enableFaultInjection,
    backup,
    retention,
    plugins: defaultPlugins({
      ...(opts.alarmWebhook !== undefined ? { alarmWebhookUrl: opts.alarmWebhook } : {}),
      monthlyReport: opts.monthlyReport,
      ...(opts.reportWebhook !== undefined ? { reportWebhookUrl: opts.reportWebhook } : {}),
    }),
    logLevel,
    logFormat,
    logger,
    onFatal: () => {
      if (!stopping) process.exit(1);
    },
  });
  if (logFormat === 'pretty') {
    // A person reads this: one banner in place of the machine lines below (which say the same).
    process.stdout.write(
      renderBanner(
        bannerInfoOf(cell, {
          cellName: opts.cellName,
          cwd: process.cwd(),
          dashboard: true,
          ...(cell.hasOperatorKey ? {} : { operatorKeyHint: OPERATOR_KEY_HINT }),
        }),
      ),
    );
  } else {
    if (cell.apiKeyGenerated) {
      logger.info('generated a producer API key; it is stored hashed and shown only now', {
        apiKey: cell.apiKey,
      });
    }
    logger.info('cell ready', {
      url: cell.url,
      dataDir: cell.dataDir,
      pid: process.pid,
      stages: cell.topology.stages.map((s) => s.name),
      synchronous: opts.synchronous,
      faultInjection: opts.enableFaultInjection,
      ...(cell.apiKeyGenerated ? { apiKey: cell.apiKey } : {}),
      ...(cell.hasOperatorKey ? {} : { hint: OPERATOR_KEY_HINT }),
    });
  }

  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn('second signal: exiting without draining', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      logger.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, 60_000);
    force.unref();
    cell.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

run().catch((error: unknown) => {
  logger.error(`local cell failed to start: ${error instanceof Error ? error.message : String(error)}`, {
    error,
  });
  process.exit(1);
});
