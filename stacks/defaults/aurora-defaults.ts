import { Duration } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { CellTopology } from '../../cells/topology.js';

/**
 * Aurora PostgreSQL 17.9: the newest engine version the installed aws-cdk-lib (2.276) offers that
 * AWS lists as current for `aurora-postgresql` — it is the newest 17.x in cfn-lint 1.51's engine
 * version list (generated from the RDS API), and the RDS Data API supports Aurora PostgreSQL 17.4
 * and higher on Serverless v2 in us-east-1, us-east-2, us-west-1 and us-west-2
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html).
 * aws-cdk-lib also offers 18.3 to 18.6, but cfn-lint's list has no Aurora PostgreSQL 18 yet; move
 * to 18 (a major version upgrade) once both agree. Minor versions move on by themselves
 * (`autoMinorVersionUpgrade`).
 */
export const AURORA_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_17_9;

/** The database the records live in (created with the cluster; the migrations make its tables). */
export const AURORA_DATABASE_NAME = 'invoices';

/** The master user the generated secret holds; the Data API signs in with that secret. */
export const AURORA_MASTER_USER = 'invoice_admin';

/**
 * Automated backups (continuous, point-in-time restore) are kept for 35 days, the longest Aurora
 * allows (1–35 days,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Backups.html): the
 * store is the only copy of processed records besides the bus archive, and "zero lost events"
 * deserves the widest restore window.
 */
export const AURORA_BACKUP_RETENTION = Duration.days(35);

/** The secret's password is rotated monthly (single user: the Data API re-reads the secret). */
export const AURORA_ROTATION_INTERVAL = Duration.days(30);

/** Serverless v2 ACU limits: half-ACU steps, at most 256 (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html). */
export const ACU_LIMITS = { min: 0.5, max: 256 } as const;

/**
 * Concurrent Data API writers one ACU (2 GiB) is sized for. Each processor invocation holds one
 * Data API statement or transaction at a time, and Aurora PostgreSQL derives `max_connections`
 * from the instance memory, so the cell's total processor concurrency sets the ceiling.
 */
export const WRITERS_PER_ACU = 25;

export interface AuroraCapacity {
  /** Above 0: a paused instance would delay the first event past the 2-minute visibility. */
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
}

/**
 * Serverless v2 capacity of a cell's cluster, from its topology. Pure.
 *
 * - min 1 ACU, never 0: 0 turns on auto-pause, and a paused instance resumes only when a
 *   connection arrives, which takes seconds and longer after a long pause, while the Data API
 *   answers `DatabaseResumingException`
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html:
 *   meant for systems without a stringent service level objective). Every event must be visible
 *   within 2 minutes, so the cell never pauses; 1 ACU rather than the 0.5 floor keeps a warm buffer
 *   cache for the first burst while the instance scales.
 * - max from the topology: the sum of the stages' processor `maxConcurrency` (every concurrent
 *   processor is one concurrent Data API writer), at {@link WRITERS_PER_ACU} writers per ACU,
 *   rounded up to a half ACU; 4 stages × 50 = 200 writers → 8 ACU by default.
 *
 * @example
 * const { minCapacityAcu, maxCapacityAcu } = auroraCapacity(topology); // { 1, 8 }
 */
export function auroraCapacity(topology: CellTopology): AuroraCapacity {
  const writers = topology.stages.reduce((sum, stage) => sum + stage.maxConcurrency, 0);
  const minCapacityAcu = 1;
  const needed = Math.ceil((writers / WRITERS_PER_ACU) * 2) / 2;
  return { minCapacityAcu, maxCapacityAcu: Math.min(ACU_LIMITS.max, Math.max(minCapacityAcu, needed)) };
}
