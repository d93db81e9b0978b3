import type * as iam from 'aws-cdk-lib/aws-iam';
import type { StoreKind } from '../cells/catalog.js';

/**
 * What a stage processor needs from the cell's store, whichever it is (Timestream or Aurora
 * PostgreSQL): the environment entries that name it (`LAMBDA_ENV` keys, read by
 * `processorConfigFrom`), the actions without resource-level permissions its grant adds on `*`
 * (named in the processor role's cdk-nag acknowledgment), and the write grant itself. The
 * `StageConsumer` depends on this only, as the processor code depends on the store port.
 *
 * @example
 * const processor = new CellFunction(this, 'Processor', { environment: { ...store.processorEnvironment }, unscopedActions: store.unscopedActions, ... });
 * store.grantWrite(processor.role);
 */
export interface ProcessorStoreTarget {
  readonly storeKind: StoreKind;
  readonly processorEnvironment: Readonly<Record<string, string>>;
  readonly unscopedActions: readonly string[];
  /** Exactly what a processor needs to write records, on this store's resources only. */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
}
