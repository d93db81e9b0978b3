import type { AlarmStateValue } from '../../../consumers/monitoring/alarm-evaluator.js';
import type { ReconcileReport } from '../../../consumers/monitoring/reconcile.js';
import type { DashboardId, PanelChart, PanelQuery, PanelUnit } from '../../../dashboards/panels/panels.js';
import type { StageName } from '../../topology.js';

/**
 * The JSON answers of the local cell's monitoring routes (`GET /stuck`, `/reconcile`, `/alarms`,
 * `/dashboards`, `/dashboards/:view/data`). The ops CLI and the web app read these shapes, so the
 * field order the builders write is part of the answer too.
 *
 * @example
 * const answer: AlarmsAnswer = await (await fetch(`${url}/alarms`)).json();
 */

/** One invoice of `GET /stuck`: unfinished and past its stage SLA. */
export interface StuckInvoiceAnswer {
  readonly invoiceId: string;
  readonly stage: StageName;
  readonly nextStage: StageName;
  readonly lastStatus: string;
  readonly enteredAt: string;
  readonly enteredAtMs: number;
  readonly ageSec: number;
  readonly overdueSec: number;
  readonly slaSec: number;
  readonly vendorId?: string;
}

/** One technical issue of `GET /stuck`: a DLQ message, or a stage queue whose oldest message is too old. */
export type StuckMessageAnswer =
  | {
      readonly stage: StageName;
      readonly kind: 'dlq';
      readonly messageId: string;
      readonly invoiceId: string;
      readonly eventId: string;
      readonly receiveCount: number;
      readonly sentAt: string;
      readonly deadLetteredAt: string | null;
      /** Since the message was sent to the stage queue. */
      readonly ageSec: number;
      readonly count: 1;
    }
  | {
      readonly stage: StageName;
      readonly kind: 'oldest-message';
      readonly ageSec: number;
      readonly value: number;
      readonly threshold: number;
      readonly count: 1;
      readonly message: string;
    };

/** `GET /stuck`. */
export interface StuckAnswer {
  readonly generatedAt: string;
  readonly invoices: readonly StuckInvoiceAnswer[];
  readonly messages: readonly StuckMessageAnswer[];
  readonly notes: readonly string[];
}

/** `GET /reconcile`: the report of `consumers/monitoring/reconcile.ts` and its window. */
export interface ReconcileAnswer extends ReconcileReport {
  readonly from: string;
  readonly to: string;
}

/** One rule of `GET /alarms`. */
export interface AlarmAnswer {
  readonly id: string;
  readonly title: string;
  readonly stage?: StageName;
  readonly severity: string;
  readonly state: AlarmStateValue;
  /** The last reading; null when it was missing or the rule was not evaluated yet. */
  readonly value: number | null;
  readonly threshold: number;
  readonly since: string;
  readonly reason: string;
}

/** One state change of `GET /alarms`. */
export interface TransitionAnswer {
  readonly ruleId: string;
  readonly title?: string;
  readonly severity?: string;
  readonly stage?: string;
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly atMs: number;
  readonly at: string;
  readonly value: number | null;
  readonly threshold: number;
  readonly reason: string;
}

/** `GET /alarms`. */
export interface AlarmsAnswer {
  readonly generatedAt: string;
  /** State of the composite "cell unhealthy" alarm. */
  readonly cellUnhealthy: 'OK' | 'ALARM';
  /** Critical rules in ALARM (what makes the cell unhealthy). */
  readonly cellUnhealthyAlarming: readonly string[];
  readonly alarms: readonly AlarmAnswer[];
  /** Newest first. */
  readonly transitions: readonly TransitionAnswer[];
}

/** One panel of `GET /dashboards/:view/data`: its rows (and extras), or why it failed. */
export type PanelData =
  | ({ readonly rows: readonly unknown[] } & Record<string, unknown>)
  | { readonly error: string };

/** `GET /dashboards/:view/data`: the data of every panel of one view, by panel id. */
export interface DashboardDataAnswer {
  readonly view: string;
  readonly from: string;
  readonly to: string;
  readonly panels: Record<string, PanelData>;
}

/** One dashboard of `GET /dashboards`: its panels without their queries. */
export interface DashboardSummary {
  readonly id: DashboardId;
  readonly title: string;
  readonly description: string;
  readonly panels: readonly {
    readonly id: string;
    readonly title: string;
    readonly unit: PanelUnit;
    readonly chart: PanelChart;
    readonly source: PanelQuery['source'];
    readonly description?: string;
  }[];
}
