-- 0003: the latest state of every invoice, written by PostgresStore in the transaction of a
-- record's first insert (nextInvoiceState, the same rule as the local cell's invoice-state
-- writer), so the stuck-invoice list and alarm are a range read on the SLA deadline instead of a
-- scan of records. One row per invoice at its furthest stage; deadline_ms = entered_ms + the
-- stage's SLA while the invoice can be stuck there, NULL when it cannot (last stage, terminal
-- status).
CREATE TABLE invoice_state (
  invoice_id text PRIMARY KEY,
  stage_order integer NOT NULL,
  status text NOT NULL,
  status_time_ms bigint NOT NULL,
  status_event_id text NOT NULL,
  vendor_id text NOT NULL,
  entered_ms bigint NOT NULL,
  deadline_ms bigint
);

-- The stuck read: WHERE deadline_ms < :now ORDER BY deadline_ms (partial: done invoices stay out).
CREATE INDEX invoice_state_deadline ON invoice_state (deadline_ms, stage_order, entered_ms)
  WHERE deadline_ms IS NOT NULL;

-- Retention: invoices that can no longer be stuck, oldest first, pruned in small chunks.
CREATE INDEX invoice_state_done ON invoice_state (entered_ms) WHERE deadline_ms IS NULL;
