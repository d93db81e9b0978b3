import type { StageName } from '../../cells/topology.js';
import { EXIT_CODES, type OpsBackend, type TimeWindow } from './backend.js';
import { formatDuration, renderJson, renderNotes, renderTable, type VerbContext } from './output.js';

/**
 * The read-only verbs: `timeline`, `stuck`, `reconcile`, `alarms`. Each asks the backend once and
 * renders a table (or `--json`).
 *
 * @example
 * const code = await runTimeline(backend, 'INV-2026-000123', ctx);
 */

export async function runTimeline(backend: OpsBackend, invoiceId: string, ctx: VerbContext): Promise<number> {
  const timeline = await backend.timeline(invoiceId);
  if (ctx.json) {
    ctx.io.stdout(renderJson({ invoiceId, count: timeline.length, timeline }));
    return EXIT_CODES.ok;
  }
  ctx.io.stdout(
    renderTable(
      [
        'occurred at',
        'stage',
        'status',
        { header: 'amount', align: 'right' },
        'currency',
        'vendor',
        'event',
        'received at',
        'stored at',
      ],
      timeline.map((t) => [
        t.occurredAt,
        t.stage,
        t.status,
        t.amount.value,
        t.amount.currency,
        t.vendorId,
        t.eventId,
        t.receivedAt,
        t.storedAt ?? '-',
      ]),
    ),
  );
  ctx.io.stdout(`${timeline.length} event(s) of ${invoiceId}\n`);
  return EXIT_CODES.ok;
}

export async function runStuck(
  backend: OpsBackend,
  stage: StageName | undefined,
  ctx: VerbContext,
): Promise<number> {
  const report = await backend.stuck(stage ? { stage } : {});
  if (ctx.json) {
    ctx.io.stdout(renderJson(report));
    return EXIT_CODES.ok;
  }
  const right = (header: string) => ({ header, align: 'right' as const });
  ctx.io.stdout(`business: invoices past their stage SLA (${report.business.length})\n`);
  ctx.io.stdout(
    renderTable(
      [
        'invoice',
        'stage',
        'status',
        'waiting for',
        right('age'),
        right('sla'),
        right('overdue'),
        'entered at',
      ],
      report.business.map((b) => [
        b.invoiceId,
        b.stage,
        b.status,
        b.nextStage ?? '-',
        formatDuration(b.ageSec),
        formatDuration(b.slaSec),
        formatDuration(b.overdueSec),
        b.enteredAt,
      ]),
    ),
  );
  ctx.io.stdout(
    `\ntechnical: messages in DLQs or queues past their threshold (${report.technical.length})\n`,
  );
  ctx.io.stdout(
    renderTable(
      ['stage', 'kind', 'invoice', 'event', right('age'), right('count'), 'detail'],
      report.technical.map((t) => [
        t.stage,
        t.kind,
        t.invoiceId ?? '-',
        t.eventId ?? '-',
        t.ageSec === undefined ? '-' : formatDuration(t.ageSec),
        String(t.count),
        t.detail ?? '',
      ]),
    ),
  );
  ctx.io.stdout(renderNotes(report.notes));
  return EXIT_CODES.ok;
}

/** Exit code 1 when any stage is out of balance (DESIGN §4: accepted = stored + in DLQ + in flight). */
export async function runReconcile(
  backend: OpsBackend,
  window: TimeWindow,
  ctx: VerbContext,
): Promise<number> {
  const report = await backend.reconcile(window);
  if (ctx.json) {
    ctx.io.stdout(renderJson(report));
  } else {
    ctx.io.stdout(`reconcile ${report.from} .. ${report.to}${report.approximate ? ' (approximate)' : ''}\n`);
    const num = (header: string) => ({ header, align: 'right' as const });
    ctx.io.stdout(
      renderTable(
        [
          'stage',
          num('accepted'),
          num('stored'),
          num('in dlq'),
          num('in flight'),
          num('gap'),
          num('unexpected'),
          'balanced',
        ],
        report.stages.map((s) => [
          s.stage,
          String(s.accepted),
          String(s.stored),
          String(s.inDlq),
          String(s.inFlight),
          String(s.gap),
          String(s.unexpected.length),
          s.balanced ? 'yes' : 'NO',
        ]),
      ),
    );
    for (const s of report.stages) {
      if (s.missing.length > 0)
        ctx.io.stdout(`${s.stage} missing (accepted, found nowhere): ${s.missing.join(', ')}\n`);
      if (s.unexpected.length > 0) {
        ctx.io.stdout(
          `${s.stage} unexpected (stored or queued, not accepted in the window): ${s.unexpected.join(', ')}\n`,
        );
      }
    }
    ctx.io.stdout(renderNotes(report.notes));
    ctx.io.stdout(
      report.balanced
        ? 'balanced: every accepted event is accounted for\n'
        : 'GAP: the counts do not balance\n',
    );
  }
  return report.balanced ? EXIT_CODES.ok : EXIT_CODES.failed;
}

export async function runAlarms(backend: OpsBackend, historySec: number, ctx: VerbContext): Promise<number> {
  const report = await backend.alarms({ historySec });
  if (ctx.json) {
    ctx.io.stdout(renderJson(report));
    return EXIT_CODES.ok;
  }
  const inAlarm = report.alarms.filter((a) => a.state === 'ALARM').length;
  ctx.io.stdout(`alarms (${report.alarms.length}, ${inAlarm} in ALARM)\n`);
  ctx.io.stdout(
    renderTable(
      ['state', 'alarm', 'stage', 'severity', 'since', 'reason'],
      report.alarms.map((a) => [
        a.state,
        a.title ? `${a.name} (${a.title})` : a.name,
        a.stage ?? '-',
        a.severity ?? '-',
        a.since ?? '-',
        truncate(a.reason ?? '', 100),
      ]),
    ),
  );
  ctx.io.stdout(`\ntransitions in the last ${formatDuration(historySec)} (${report.transitions.length})\n`);
  ctx.io.stdout(
    renderTable(
      ['at', 'alarm', 'change', 'summary'],
      report.transitions.map((t) => [
        t.at,
        t.name,
        `${t.from ?? '?'} -> ${t.to ?? '?'}`,
        truncate(t.summary, 100),
      ]),
    ),
  );
  ctx.io.stdout(renderNotes(report.notes));
  return EXIT_CODES.ok;
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
