import type { StuckInvoice } from './stuck.js';

/**
 * The alert the scheduled stuck-invoice monitor publishes (SNS warning topic → email, chat, pager):
 * a subject with the count, per-stage counts, and the most overdue invoices with their stage, age
 * and SLA. Bounded: SNS takes at most 256 KiB and an email subject at most 100 ASCII characters,
 * and a list of thousands of invoices helps nobody, so it names the first `maxInvoices` and points
 * to the ops CLI for the rest. Pure.
 *
 * @example
 * const { subject, message } = formatStuckAlert(stuck, { cellName: 'us-east-1', nowMs: Date.now() });
 * await sns.send(new PublishCommand({ TopicArn, Subject: subject, Message: message }));
 */

export interface StuckAlertOptions {
  readonly cellName: string;
  readonly nowMs: number;
  /**
   * Every stuck invoice per stage, when `stuck` holds only the most overdue of them (a store that
   * lists a bounded number, e.g. Aurora's deadline index); stages with 0 are left out of the text.
   * @default counted from `stuck`
   */
  readonly counts?: ReadonlyMap<string, number>;
  /** Invoices listed by id, most overdue first. @default 50 */
  readonly maxInvoices?: number;
  /** Upper bound of the message in UTF-8 bytes (SNS allows 262,144). @default 32768 */
  readonly maxMessageBytes?: number;
}

export interface StuckAlert {
  /** ASCII, one line, at most {@link MAX_SUBJECT_CHARS} characters (SNS email subject rules). */
  readonly subject: string;
  readonly message: string;
  /** How many invoices the message names (the rest are counted only). */
  readonly listed: number;
}

export const MAX_SUBJECT_CHARS = 100;
const DEFAULT_MAX_INVOICES = 50;
const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024;

/** `3d 4h`, `2h 5m`, `15m`, `45s`: the two largest units, for people reading an alert. Pure. */
export function formatAge(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const values = [
    Math.floor(sec / 86_400),
    Math.floor(sec / 3_600) % 24,
    Math.floor(sec / 60) % 60,
    sec % 60,
  ];
  const labels = ['d', 'h', 'm', 's'];
  const first = values.findIndex((v) => v > 0);
  if (first === -1) return '0s';
  const next = values[first + 1] ?? 0;
  return `${values[first]}${labels[first]}${next > 0 ? ` ${next}${labels[first + 1]}` : ''}`;
}

/** Keeps the subject within SNS rules: printable ASCII, no line breaks, ≤ 100 characters. */
function asciiSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, MAX_SUBJECT_CHARS - 3)}...`;
}

function invoiceLine(s: StuckInvoice): string {
  return (
    `  ${s.invoiceId}  ${s.stage} -> ${s.nextStage}  age ${formatAge(s.ageSec)}` +
    ` (SLA ${formatAge(s.slaSec)}, overdue ${formatAge(s.overdueSec)})  status ${s.lastStatus}` +
    (s.vendorId !== undefined ? `  vendor ${s.vendorId}` : '')
  );
}

/** Builds the alert for a non-empty list of stuck invoices (as `findStuckInvoices` orders them). Pure. */
export function formatStuckAlert(stuck: readonly StuckInvoice[], options: StuckAlertOptions): StuckAlert {
  if (stuck.length === 0) throw new Error('formatStuckAlert needs at least one stuck invoice, got 0');
  const maxInvoices = options.maxInvoices ?? DEFAULT_MAX_INVOICES;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(maxInvoices) || maxInvoices < 0) {
    throw new Error(`maxInvoices must be a non-negative integer, got ${maxInvoices}`);
  }

  const byStage = new Map<string, { count: number; slaSec?: number }>();
  for (const s of stuck) {
    const entry = byStage.get(s.stage) ?? { count: 0, slaSec: s.slaSec };
    entry.count += 1;
    byStage.set(s.stage, entry);
  }
  let total = stuck.length;
  if (options.counts) {
    // The store counted every stuck invoice; the list may hold only the most overdue.
    total = 0;
    for (const [stage, count] of options.counts) {
      total += count;
      const slaSec = byStage.get(stage)?.slaSec;
      if (count > 0) byStage.set(stage, { count, ...(slaSec !== undefined ? { slaSec } : {}) });
      else byStage.delete(stage);
    }
  }
  const noun = total === 1 ? 'invoice' : 'invoices';
  const sla = (slaSec: number | undefined) => (slaSec === undefined ? '' : ` (SLA ${formatAge(slaSec)})`);
  const head = [
    `${total} ${noun} past their stage SLA in cell ${options.cellName} (checked ${new Date(options.nowMs).toISOString()}).`,
    '',
    'By stage:',
    ...[...byStage].map(([stage, e]) => `  ${stage}: ${e.count}${sla(e.slaSec)}`),
    '',
  ];
  const tail = [
    '',
    `All of them, with stuck messages: invoice-ops stuck --cell ${options.cellName}`,
    'Timeline of one invoice:          invoice-ops timeline <invoiceId> --cell <cell>',
  ];
  const bytes = (lines: readonly string[]) => Buffer.byteLength(lines.join('\n'), 'utf8');

  const listed: string[] = [];
  const budget = maxBytes - bytes([...head, 'Most overdue first (showing 0000000 of 0000000):', ...tail]);
  let used = 0;
  for (const s of stuck.slice(0, maxInvoices)) {
    const line = invoiceLine(s);
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (used + size > budget) break;
    listed.push(line);
    used += size;
  }
  const message = [
    ...head,
    `Most overdue first (showing ${listed.length} of ${total}):`,
    ...listed,
    ...tail,
  ].join('\n');
  return {
    // The count first: a long cell name is what gets cut.
    subject: asciiSubject(`[warning] ${total} stuck ${noun} past SLA in cell ${options.cellName}`),
    message,
    listed: listed.length,
  };
}
