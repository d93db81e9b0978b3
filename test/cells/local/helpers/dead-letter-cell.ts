import type { LocalCellOptions, LocalCellPlugin } from '../../../../cells/local/local-cell.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from './cell-process.js';

/**
 * Options for an in-process cell in which an injected poison event reaches its DLQ within
 * seconds: fault injection on, a 1 s visibility timeout and 2 receives before the DLQ. Shared by
 * the monitoring, CLI and browser tests, which all need a dead-lettered event to look at.
 *
 * @example
 * const cell = await startLocalCell({ ...deadLetterCellOptions('cell-x-', [monitoringPlugin()]) });
 */
export function deadLetterCellOptions(
  dataDirPrefix: string,
  plugins: readonly LocalCellPlugin[],
): LocalCellOptions & { dataDir: string } {
  return {
    dataDir: tempDataDir(dataDirPrefix),
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    logLevel: 'silent',
    enableFaultInjection: true,
    visibilityTimeoutSec: 1,
    maxReceiveCount: 2,
    plugins,
  };
}
