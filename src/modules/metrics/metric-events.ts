import { METRIC_NAME_PATTERN } from './metric-deltas.js';
import { MetricsError } from './metrics.errors.js';

/**
 * One metric event as posted to `POST /ab-tests/{id}/metrics` (wire format, snake_case): either a
 * request outcome (`latency_ms` and/or `error`; counts as one request) or a custom metric value
 * (`metric` + `value`; counts as no request). Null means absent.
 */
export interface MetricEvent {
  variant: 'a' | 'b';
  latency_ms?: number | null;
  error?: boolean | null;
  metric?: string | null;
  value?: number | null;
  /** Accepted for the caller's bookkeeping; not stored (aggregates are per variant, not per user). */
  user_id?: string | null;
  /** When it happened (ISO 8601 with a zone); defaults to the time of ingestion. */
  timestamp?: string | null;
}

export const MAX_EVENTS_PER_BATCH = 10_000;
export const MAX_USER_ID_LENGTH = 200;
/** Clock skew tolerated on event timestamps; later ones are refused. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

const FIELDS = new Set(['variant', 'latency_ms', 'error', 'metric', 'value', 'user_id', 'timestamp']);
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
  for (const key in e) if (!FIELDS.has(key)) return `unknown field "${key}"`;
  if (e.variant !== 'a' && e.variant !== 'b') return 'variant must be "a" or "b"';
  if (present(e.latency_ms) && !(isFiniteNumber(e.latency_ms) && e.latency_ms >= 0)) return 'latency_ms must be a finite number ≥ 0';
  if (present(e.error) && typeof e.error !== 'boolean') return 'error must be true or false';
  if (present(e.metric) && !(typeof e.metric === 'string' && METRIC_NAME_PATTERN.test(e.metric))) {
    return 'metric must be a lowercase slug (^[a-z][a-z0-9_]{0,62}$)';
  }
  if (present(e.value) && !isFiniteNumber(e.value)) return 'value must be a finite number';
  if (present(e.user_id) && !(typeof e.user_id === 'string' && e.user_id.length <= MAX_USER_ID_LENGTH)) {
    return `user_id must be a string of at most ${MAX_USER_ID_LENGTH} characters`;
  }
  if (present(e.timestamp)) {
    const at = typeof e.timestamp === 'string' && ISO_TIMESTAMP.test(e.timestamp) ? Date.parse(e.timestamp) : NaN;
    if (Number.isNaN(at)) return 'timestamp must be an ISO 8601 date-time with a time zone, e.g. 2026-01-05T09:00:00Z';
    if (at > now + MAX_FUTURE_SKEW_MS) return 'timestamp is in the future';
  }
  const outcome = present(e.latency_ms) || present(e.error);
  const custom = present(e.metric) || present(e.value);
  if (outcome && custom) {
    return 'an event is either a request outcome (latency_ms and/or error) or a custom metric value (metric and value), not both';
  }
  if (!outcome && !custom) return 'needs latency_ms and/or error (a request outcome), or metric and value (a custom metric value)';
  if (custom && !(present(e.metric) && present(e.value))) return 'a custom metric value needs both metric and value';
  return null;
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

/**
 * Validates a request body `{events: [...]}` without class-validator, for a route that wants the
 * fast path (see bench/metrics.ts for the difference). Same rules as MetricBatchDto plus
 * validateMetricEvents.
 */
export function parseMetricBatch(body: unknown, now: number = Date.now()): MetricEvent[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw MetricsError.invalidBatch('the body must be an object {"events": [...]}');
  for (const key in body) if (key !== 'events') throw MetricsError.invalidBatch(`unknown field "${key}"`);
  const events = (body as { events?: unknown }).events;
  validateMetricEvents(events, now);
  return events;
}
