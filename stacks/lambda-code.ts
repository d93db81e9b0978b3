import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Where the cell's Lambda code comes from. Constructs take a `LambdaCodeProvider` instead of
 * bundling, so CDK tests can synthesize with inline stubs in milliseconds while the app entry
 * passes the esbuild bundles (`stacks/lambda-bundle.ts`).
 *
 * @example
 * new CellStack(app, 'InvoiceCell-us-east-1', { ..., lambdaCode: bundledLambdaCode() });
 */
export interface LambdaCodeProvider {
  /** Code of the relay (bus event → SNS FIFO). A new `Code` per call: an asset binds to one stack. */
  relay(): lambda.Code;
  /** Code of the stage processor (SQS FIFO batch → time-series store). A new `Code` per call. */
  processor(): lambda.Code;
  /** Code of the scheduled stuck-invoice monitor (Timestream → StuckInvoices metric + alert). */
  stuckMonitor(): lambda.Code;
  /** Code of the monthly report job (Timestream latest state → S3 reports, SNS notice). */
  monthlyReport(): lambda.Code;
  /**
   * Code of the deploy-time migrations (Aurora cells: versioned SQL → RDS Data API), with the
   * `consumers/postgresql/migrations/*.sql` files it applies. A new `Code` per call.
   */
  migrations(): lambda.Code;
}

/**
 * The newest Node.js runtime aws-cdk-lib 2.276 knows. cdk-nag's AwsSolutions-L1 demands the
 * latest runtime of the family that the installed aws-cdk-lib offers, which is `nodejs24.x`.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Graviton: the same bundle runs on either architecture and arm64 costs less per GB-second. */
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

/** Every bundle is one ESM file `index.mjs` exporting `handler`. */
export const LAMBDA_HANDLER = 'index.handler';
