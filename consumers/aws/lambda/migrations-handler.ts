import { createMigrationsHandler, defaultMigrationsDeps } from './create-migrations-handler.js';

/**
 * Deploy-time migrations Lambda entry (bundled by the CellStack of an Aurora cell, with the SQL files
 * in `migrations/` beside it). Configuration and the Data API client are created once, at module
 * load.
 *
 * @example
 * new AuroraMigrations(this, 'AuroraMigrations', { store, code: lambdaCode.migrations(), logsKey });
 */
export const handler = createMigrationsHandler(defaultMigrationsDeps(process.env));
