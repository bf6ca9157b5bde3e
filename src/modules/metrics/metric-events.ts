import { METRIC_NAME_PATTERN } from './metric-deltas.js';
import { MAX_USER_ID_LENGTH } from '../../common/validation/user-id.js';
import { MetricsError } from './metrics.errors.js';
import type { Variant } from '../../common/variant.js';

/**
 * One metric event as posted to `POST /ab-tests/{id}/metrics` (wire format, snake_case): either a
 * request outcome (`latency_ms` and/or `error`; counts as one request) or a custom metric value
 * (`metric` + `value`; counts as no request). Null means absent.
 */
export interface MetricEvent {
  /** Absent for request outcomes and custom values; `comparison` for a shadow test's comparison. */
  type?: 'comparison' | null;
  /** Required unless `type` is `comparison`. */
  variant?: Variant;
  latency_ms?: number | null;
  error?: boolean | null;
  metric?: string | null;
  value?: number | null;
  /** Accepted for the caller's bookkeeping; not stored (aggregates are per variant, not per user). */
  user_id?: string | null;
  /** When it happened (ISO 8601 with a zone); defaults to the time of ingestion. */
  timestamp?: string | null;
  /* Comparison events (shadow tests): a's and b's answers on one input. */
  label_a?: string | null;
  label_b?: string | null;
  latency_ms_a?: number | null;
  latency_ms_b?: number | null;
  error_b?: boolean | null;
  score_a?: number | null;
  score_b?: number | null;
  /** The input, kept (redacted, truncated) only if a and b disagree. */
  input?: string | null;
}

/** A validated comparison event. */
export type ComparisonEvent = MetricEvent & { type: 'comparison'; label_a: string; latency_ms_a: number };

export function isComparisonEvent(event: MetricEvent): event is ComparisonEvent {
  return event.type === 'comparison';
}

export const MAX_LABEL_LENGTH = 100;
export const MAX_COMPARISON_INPUT_LENGTH = 10_000;

export const MAX_EVENTS_PER_BATCH = 10_000;
/** Clock skew tolerated on event timestamps; later ones are refused. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** The fields of a request outcome or custom value, and of a comparison: anything else is refused. */
export const METRIC_EVENT_FIELDS: ReadonlySet<string> = new Set(['variant', 'latency_ms', 'error', 'metric', 'value', 'user_id', 'timestamp']);
export const COMPARISON_EVENT_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'label_a',
  'label_b',
  'latency_ms_a',
  'latency_ms_b',
  'error_b',
  'score_a',
  'score_b',
  'input',
  'user_id',
  'timestamp',
]);

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const present = (value: unknown): boolean => value !== undefined && value !== null;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The problem with one event, or null when it is valid. Checks everything the DTO checks and the
 * rule class-validator cannot express: an event is a request outcome or a custom value, not both.
 */
export function metricEventProblem(event: unknown, now: number = Date.now()): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'must be an object';
  const e = event as Record<string, unknown>;
  if (present(e.type)) {
    if (e.type !== 'comparison') return 'type must be "comparison" (or absent for a request outcome or custom metric value)';
    return comparisonProblem(e, now);
  }
  for (const key in e) if (!METRIC_EVENT_FIELDS.has(key)) return `unknown field "${key}"`;
  if (e.variant !== 'a' && e.variant !== 'b') return 'variant must be "a" or "b"';
  if (present(e.latency_ms) && !(isFiniteNumber(e.latency_ms) && e.latency_ms >= 0)) return 'latency_ms must be a finite number ≥ 0';
  if (present(e.error) && typeof e.error !== 'boolean') return 'error must be true or false';
  if (present(e.metric) && !(typeof e.metric === 'string' && METRIC_NAME_PATTERN.test(e.metric))) {
    return 'metric must be a lowercase slug (^[a-z][a-z0-9_]{0,62}$)';
  }
  if (present(e.value) && !isFiniteNumber(e.value)) return 'value must be a finite number';
  const common = userAndTimestampProblem(e, now);
  if (common !== null) return common;
  const outcome = present(e.latency_ms) || present(e.error);
  const custom = present(e.metric) || present(e.value);
  if (outcome && custom) {
    return 'an event is either a request outcome (latency_ms and/or error) or a custom metric value (metric and value), not both';
  }
  if (!outcome && !custom) return 'needs latency_ms and/or error (a request outcome), or metric and value (a custom metric value)';
  if (custom && !(present(e.metric) && present(e.value))) return 'a custom metric value needs both metric and value';
  return null;
}

function userAndTimestampProblem(e: Record<string, unknown>, now: number): string | null {
  if (present(e.user_id) && !(typeof e.user_id === 'string' && e.user_id.length <= MAX_USER_ID_LENGTH)) {
    return `user_id must be a string of at most ${MAX_USER_ID_LENGTH} characters`;
  }
  if (present(e.timestamp)) {
    const at = typeof e.timestamp === 'string' && ISO_TIMESTAMP.test(e.timestamp) ? Date.parse(e.timestamp) : NaN;
    if (Number.isNaN(at)) return 'timestamp must be an ISO 8601 date-time with a time zone, e.g. 2026-01-05T09:00:00Z';
    if (at > now + MAX_FUTURE_SKEW_MS) return 'timestamp is in the future';
  }
  return null;
}

const isLabel = (value: unknown): value is string => typeof value === 'string' && value.length >= 1 && value.length <= MAX_LABEL_LENGTH;

/**
 * A comparison of a shadow test: `label_a` and `latency_ms_a` always; `label_b` and
 * `latency_ms_b` unless `error_b` is true (b failed, so it has neither).
 */
function comparisonProblem(e: Record<string, unknown>, now: number): string | null {
  for (const key in e) if (!COMPARISON_EVENT_FIELDS.has(key)) return `unknown field "${key}" in a comparison event`;
  if (!isLabel(e.label_a)) return `label_a must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
  if (!(isFiniteNumber(e.latency_ms_a) && e.latency_ms_a >= 0)) return 'latency_ms_a must be a finite number ≥ 0';
  if (present(e.error_b) && typeof e.error_b !== 'boolean') return 'error_b must be true or false';
  if (e.error_b !== true) {
    if (!isLabel(e.label_b)) return `label_b must be a string of 1 to ${MAX_LABEL_LENGTH} characters (or error_b: true)`;
    if (!(isFiniteNumber(e.latency_ms_b) && e.latency_ms_b >= 0)) return 'latency_ms_b must be a finite number ≥ 0 (or error_b: true)';
  } else {
    if (present(e.label_b) && !isLabel(e.label_b)) return `label_b must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
    if (present(e.latency_ms_b) && !(isFiniteNumber(e.latency_ms_b) && e.latency_ms_b >= 0)) return 'latency_ms_b must be a finite number ≥ 0';
  }
  for (const key of ['score_a', 'score_b'] as const) if (present(e[key]) && !isFiniteNumber(e[key])) return `${key} must be a finite number`;
  if (present(e.input) && !(typeof e.input === 'string' && e.input.length <= MAX_COMPARISON_INPUT_LENGTH)) {
    return `input must be a string of at most ${MAX_COMPARISON_INPUT_LENGTH} characters`;
  }
  return userAndTimestampProblem(e, now);
}

/**
 * Validates a whole batch; throws MetricsError (400, `METRIC_EVENT_INVALID`) naming the first bad
 * event's index, e.g. "events[17]: variant must be "a" or "b"".
 */
export function validateMetricEvents(events: unknown, now: number = Date.now()): asserts events is MetricEvent[] {
  if (!Array.isArray(events)) throw MetricsError.invalidBatch('events must be an array');
  if (events.length === 0) throw MetricsError.invalidBatch('events must hold at least one event');
  if (events.length > MAX_EVENTS_PER_BATCH) {
    throw MetricsError.invalidBatch(`events holds ${events.length} events; at most ${MAX_EVENTS_PER_BATCH} per batch`);
  }
  for (let i = 0; i < events.length; i++) {
    const problem = metricEventProblem(events[i], now);
    if (problem !== null) throw MetricsError.invalidEvent(i, problem);
  }
}

declare const PARSED: unique symbol;

/** Events parseMetricBatch accepted: what ingestion takes, so that a batch is checked once. */
export type MetricBatch = readonly MetricEvent[] & { readonly [PARSED]: true };

/**
 * Validates a request body `{events: [...]}` without class-validator, for a route that wants the
 * fast path (see bench/metrics.ts for the difference). The rules MetricBatchDto documents (a spec
 * checks they agree) plus the ones a schema cannot state: validateMetricEvents.
 */
export function parseMetricBatch(body: unknown, now: number = Date.now()): MetricBatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw MetricsError.invalidBatch('the body must be an object {"events": [...]}');
  for (const key in body) if (key !== 'events') throw MetricsError.invalidBatch(`unknown field "${key}"`);
  const events = (body as { events?: unknown }).events;
  validateMetricEvents(events, now);
  return events as unknown as MetricBatch;
}
