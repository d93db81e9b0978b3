import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import type { StageName } from '../cells/topology.js';
import type { FieldErrorAnswer } from './api/errors.js';
import authorization from './authorization.schema.json' with { type: 'json' };
import { type BusinessTimeCheck, businessTimeProblem } from './business-time.js';
import { CURRENCY_CODES, CURRENCY_EXPONENTS } from './currencies.js';
import envelope from './envelope.schema.json' with { type: 'json' };
import ingestion from './ingestion.schema.json' with { type: 'json' };
import { moneyProblem } from './money.js';
import posting from './posting.schema.json' with { type: 'json' };
import reconciliation from './reconciliation.schema.json' with { type: 'json' };
import { isRfc3339 } from './time.js';
import type { InvoiceEvent } from './types.js';

/**
 * The event contract: the envelope and per-stage schema files merged into one self-contained
 * draft-04 schema per stage. The same merged schema is the API Gateway request model (CellStack)
 * and the ajv validator (local API, processors), so the edge and the core never disagree.
 *
 * @example
 * const result = validateRequestBody('ingestion', JSON.parse(body), 10);
 * if (!result.ok) reply.code(400).send({ errors: result.errors });
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents are untyped JSON.
export type JsonSchema = Record<string, any>;

/** Stage schema files; a new stage adds its file here and its entry in cells/topology.ts. */
export const STAGE_SCHEMA_FILES: Readonly<Record<StageName, JsonSchema>> = {
  ingestion,
  reconciliation,
  authorization,
  posting,
};

/**
 * One field that failed validation; `path` is a JSON Pointer into the request body. The HTTP
 * contract's `FieldErrorSchema` (`schemas/api/errors.ts`) is its source, so the 400 answers of
 * every API carry exactly this shape (a type-only import: validators load no TypeBox).
 */
export type FieldError = Readonly<FieldErrorAnswer>;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The full schema of one stage event: envelope properties overlaid with the stage's, required
 * lists joined, the ISO 4217 code list injected. Pure; returns a fresh object.
 */
export function stageEventSchema(stage: StageName): JsonSchema {
  const stageFile = STAGE_SCHEMA_FILES[stage];
  if (!stageFile) throw new Error(`no schema file for stage "${stage}"`);
  const merged = clone(envelope) as JsonSchema;
  merged.title = stageFile.title;
  merged.description = stageFile.description;
  merged.properties = { ...merged.properties, ...clone(stageFile.properties) };
  merged.required = [...new Set([...(merged.required ?? []), ...(stageFile.required ?? [])])];
  merged.properties.amount.properties.currency = {
    type: 'string',
    enum: [...CURRENCY_CODES],
  };
  return merged;
}

/**
 * The request body of `POST /invoices/{stage}`: one event, or `{"events": [...]}` with 1..max.
 * For API Gateway the amount's decimals are also bounded per currency exponent (`anyOf` by
 * exponent group), since the edge cannot run code; the local API runs {@link moneyProblem}
 * instead, which gives a clearer message.
 */
export function stageRequestSchema(stage: StageName, maxEvents: number): JsonSchema {
  const event = stageEventSchema(stage);
  const { $schema, title, ...eventBody } = event;
  eventBody.properties.amount = amountByExponentSchema();
  return {
    $schema,
    title: `${title}Request`,
    type: 'object',
    oneOf: [
      eventBody,
      {
        type: 'object',
        properties: {
          events: { type: 'array', minItems: 1, maxItems: maxEvents, items: eventBody },
        },
        required: ['events'],
        additionalProperties: false,
      },
    ],
  };
}

function amountByExponentSchema(): JsonSchema {
  const groups = new Map<number, string[]>();
  for (const [code, exponent] of CURRENCY_EXPONENTS) {
    groups.set(exponent, [...(groups.get(exponent) ?? []), code]);
  }
  return {
    type: 'object',
    anyOf: [...groups.entries()]
      .sort(([a], [b]) => a - b)
      .map(([exponent, codes]) => ({
        properties: {
          currency: { type: 'string', enum: codes.sort() },
          value: {
            type: 'string',
            pattern:
              exponent === 0
                ? '^-?(0|[1-9][0-9]{0,14})$'
                : `^-?(0|[1-9][0-9]{0,14})(\\.[0-9]{1,${exponent}})?$`,
          },
        },
        required: ['value', 'currency'],
        additionalProperties: false,
      })),
  };
}

type CompiledValidator = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; keyword: string; params: JsonSchema }[] | null;
};

// Both packages are CommonJS with `exports.default`; NodeNext types see the module object.
const AjvDraft04 = AjvDraft04Module.default;
const addFormats = addFormatsModule.default;
const ajv = new AjvDraft04({ allErrors: true, strict: false });
addFormats(ajv, ['date-time', 'date']);
const validators = new Map<StageName, CompiledValidator>();

function validatorFor(stage: StageName): CompiledValidator {
  let validate = validators.get(stage);
  if (!validate) {
    validate = ajv.compile(stageEventSchema(stage)) as CompiledValidator;
    validators.set(stage, validate);
  }
  return validate;
}

/** Plain-language rules for fields whose schema rule is a pattern or a format. */
const FORMAT_MESSAGES: Readonly<Record<string, string>> = {
  eventId: 'must be a UUID (8-4-4-4-12 hex) or a 26-character ULID',
  invoiceId: 'must be 1 to 128 characters of letters, digits and . _ : / -, starting with a letter or digit',
  occurredAt:
    'must be an RFC 3339 date-time with a time zone and a year from 1970 to 2099, like "2026-11-20T09:15:00Z"',
  value: 'must be a decimal string like "1234.56" (at most 15 integer digits)',
  variance: 'must be a decimal string like "-12.50"',
  dueDate: 'must be a calendar date like "2026-12-31"',
  postingPeriod: 'must be a month like "2026-11"',
  currency: 'must be an active ISO 4217 currency code like "USD"',
};

function describe(error: NonNullable<CompiledValidator['errors']>[number]): FieldError {
  const { keyword, params, instancePath } = error;
  if (keyword === 'required') {
    return { path: `${instancePath}/${params.missingProperty}`, message: 'is required' };
  }
  if (keyword === 'additionalProperties') {
    return {
      path: `${instancePath}/${params.additionalProperty}`,
      message: 'is not an allowed field',
    };
  }
  if (keyword === 'pattern' || keyword === 'format') {
    const field = instancePath.slice(instancePath.lastIndexOf('/') + 1);
    const friendly = FORMAT_MESSAGES[field];
    if (friendly) return { path: instancePath, message: friendly };
  }
  if (keyword === 'enum') {
    const allowed = params.allowedValues as unknown[];
    if (allowed.length > 12) {
      // Long lists (the currency codes) are not spelled out; name the rule instead.
      const field = instancePath.slice(instancePath.lastIndexOf('/') + 1);
      return {
        path: instancePath,
        message: FORMAT_MESSAGES[field] ?? `must be one of ${allowed.length} allowed values`,
      };
    }
    return { path: instancePath, message: `must be one of: ${allowed.join(', ')}` };
  }
  if (keyword === 'type' && params.type === 'string' && instancePath.endsWith('/amount/value')) {
    return {
      path: instancePath,
      message: 'must be a decimal string like "1234.56": money is never a JSON number',
    };
  }
  return { path: instancePath, message: error.message ?? keyword };
}

/**
 * Validates one stage event: schema, then rules the schema cannot state: the amount's decimals
 * against its currency's exponent and, when `businessTime` is given, `occurredAt` inside the cell's
 * business-time window around `businessTime.referenceMs`. `prefix` is prepended to every error path.
 */
export function validateEvent(
  stage: StageName,
  event: unknown,
  prefix = '',
  businessTime?: BusinessTimeCheck,
): FieldError[] {
  const validate = validatorFor(stage);
  const errors: FieldError[] = [];
  if (!validate(event)) {
    for (const e of validate.errors ?? []) {
      const described = describe(e);
      errors.push({ path: `${prefix}${described.path}`, message: described.message });
    }
  }
  // Money rules beyond the schema, wherever the amount itself passed the schema.
  const { amount, variance } = (event ?? {}) as {
    amount?: { value?: unknown; currency?: unknown };
    variance?: unknown;
  };
  const amountOk =
    typeof amount?.value === 'string' &&
    typeof amount.currency === 'string' &&
    !errors.some((e) => e.path.startsWith(`${prefix}/amount`));
  if (amountOk) {
    const currency = amount.currency as string;
    const problem = moneyProblem(amount.value as string, currency);
    if (problem) errors.push({ path: `${prefix}/amount/value`, message: problem });
    if (typeof variance === 'string' && !errors.some((e) => e.path === `${prefix}/variance`)) {
      const varianceProblem = moneyProblem(variance, currency);
      if (varianceProblem) errors.push({ path: `${prefix}/variance`, message: varianceProblem });
    }
  }
  return dedupe(businessTime ? withBusinessTime(errors, event, prefix, businessTime) : errors);
}

/**
 * Adds the business-time problem of an `occurredAt` that is a real RFC 3339 instant. It replaces the
 * schema's year-bound message (1970-2099, all a request model can state), since the window the cell
 * enforces is narrower and names its bounds.
 */
function withBusinessTime(
  errors: FieldError[],
  event: unknown,
  prefix: string,
  { window, referenceMs }: BusinessTimeCheck,
): FieldError[] {
  const occurredAt = (event as { occurredAt?: unknown } | null)?.occurredAt;
  if (typeof occurredAt !== 'string' || !isRfc3339(occurredAt)) return errors;
  const problem = businessTimeProblem(occurredAt, referenceMs, window);
  if (!problem) return errors;
  const path = `${prefix}/occurredAt`;
  return [...errors.filter((e) => e.path !== path), { path, message: problem }];
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type RequestValidation =
  | { readonly ok: true; readonly events: InvoiceEvent[]; readonly batch: boolean }
  | { readonly ok: false; readonly errors: FieldError[] };

/**
 * Validates a parsed `POST /invoices/{stage}` body: one event or `{"events": [...]}`.
 * All-or-nothing: any invalid entry rejects the whole request (nothing of it is stored), and
 * every offending field of every entry is named. `businessTime` (the cell's window and the time it
 * received the request) also checks every `occurredAt`; see {@link validateEvent}.
 */
export function validateRequestBody(
  stage: StageName,
  body: unknown,
  maxEvents: number,
  businessTime?: BusinessTimeCheck,
): RequestValidation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      errors: [{ path: '', message: 'body must be a JSON object: one event or {"events": [...]}' }],
    };
  }
  if (!('events' in body)) {
    const errors = validateEvent(stage, body, '', businessTime);
    return errors.length > 0
      ? { ok: false, errors }
      : { ok: true, events: [body as InvoiceEvent], batch: false };
  }
  const { events, ...rest } = body as { events: unknown };
  const errors: FieldError[] = Object.keys(rest).map((key) => ({
    path: `/${key}`,
    message: 'is not an allowed field beside "events"',
  }));
  if (!Array.isArray(events)) {
    return { ok: false, errors: [...errors, { path: '/events', message: 'must be an array of events' }] };
  }
  if (events.length === 0 || events.length > maxEvents) {
    errors.push({
      path: '/events',
      message: `must hold 1 to ${maxEvents} events, got ${events.length}`,
    });
    return { ok: false, errors };
  }
  const seenIds = new Map<string, number>();
  events.forEach((event, i) => {
    errors.push(...validateEvent(stage, event, `/events/${i}`, businessTime));
    const id = (event as { eventId?: unknown })?.eventId;
    if (typeof id === 'string') {
      const first = seenIds.get(id);
      if (first !== undefined) {
        errors.push({ path: `/events/${i}/eventId`, message: `repeats /events/${first}/eventId` });
      } else seenIds.set(id, i);
    }
  });
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, events: events as InvoiceEvent[], batch: true };
}
