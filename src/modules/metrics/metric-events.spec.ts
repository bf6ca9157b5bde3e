import { describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_BATCH, metricEventProblem, parseMetricBatch, validateMetricEvents } from './metric-events.js';
import { MetricsError } from './metrics.errors.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);

describe('metricEventProblem', () => {
  it.each([
    [{ variant: 'a', latency_ms: 120 }],
    [{ variant: 'b', latency_ms: 0, error: false }],
    [{ variant: 'a', error: true }],
    [{ variant: 'a', error: true, latency_ms: null, metric: null, value: null }],
    [{ variant: 'b', metric: 'accuracy', value: -0.5, user_id: 'u-1' }],
    [{ variant: 'a', latency_ms: 3, timestamp: '2026-01-05T11:59:00Z' }],
    [{ variant: 'a', latency_ms: 3, timestamp: '2026-01-05T12:04:00.123+00:00' }],
  ])('accepts %j', (event) => {
    expect(metricEventProblem(event, NOW)).toBeNull();
  });

  it.each([
    [null, 'must be an object'],
    [[1], 'must be an object'],
    [{ variant: 'c', latency_ms: 1 }, 'variant must be "a" or "b"'],
    [{ latency_ms: 1 }, 'variant must be "a" or "b"'],
    [{ variant: 'a', latency_ms: -1 }, 'latency_ms must be a finite number ≥ 0'],
    [{ variant: 'a', latency_ms: '5' }, 'latency_ms must be a finite number ≥ 0'],
    [{ variant: 'a', error: 'yes' }, 'error must be true or false'],
    [{ variant: 'a', metric: 'Accuracy', value: 1 }, 'metric must be a lowercase slug'],
    [{ variant: 'a', metric: 'custom:accuracy', value: 1 }, 'metric must be a lowercase slug'],
    [{ variant: 'a', metric: 'accuracy', value: '1' }, 'value must be a finite number'],
    [{ variant: 'a', metric: 'accuracy' }, 'needs both metric and value'],
    [{ variant: 'a', value: 1 }, 'needs both metric and value'],
    [{ variant: 'a', latency_ms: 1, metric: 'accuracy', value: 1 }, 'not both'],
    [{ variant: 'a', error: false, value: 1 }, 'not both'],
    [{ variant: 'a' }, 'needs latency_ms and/or error'],
    [{ variant: 'a', error: true, user_id: 'x'.repeat(256) }, 'user_id must be a string of at most 255'],
    [{ variant: 'a', error: true, extra: 1 }, 'unknown field "extra"'],
    [{ variant: 'a', error: true, timestamp: '2026-01-05' }, 'timestamp must be an ISO 8601 date-time'],
    [{ variant: 'a', error: true, timestamp: '2026-01-05T12:06:00Z' }, 'timestamp is in the future'],
  ])('rejects %j', (event, problem) => {
    expect(metricEventProblem(event, NOW)).toContain(problem);
  });
});

describe('validateMetricEvents', () => {
  it('names the first bad event by index and throws a 400-kind domain error', () => {
    const events: unknown[] = Array.from({ length: 30 }, () => ({ variant: 'a', latency_ms: 1 }));
    events[17] = { variant: 'a', latency_ms: 1, metric: 'x', value: 2 };
    events[20] = { variant: 'z' };
    let thrown: unknown;
    try {
      validateMetricEvents(events, NOW);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MetricsError);
    expect(thrown).toMatchObject({ code: 'METRIC_EVENT_INVALID', status: 400, details: { index: 17 } });
    expect((thrown as Error).message).toMatch(/^events\[17\]: an event is either a request outcome/);
  });

  it('takes 1 to 10,000 events', () => {
    expect(() => validateMetricEvents([], NOW)).toThrow('at least one event');
    expect(() => validateMetricEvents({}, NOW)).toThrow('must be an array');
    const many = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({ variant: 'a', error: false }));
    expect(() => validateMetricEvents(many, NOW)).toThrow('at most 10000');
    expect(() => validateMetricEvents(many.slice(1), NOW)).not.toThrow();
  });
});

describe('parseMetricBatch', () => {
  it('returns the events of a valid body and rejects other shapes', () => {
    expect(parseMetricBatch({ events: [{ variant: 'a', error: true }] }, NOW)).toEqual([{ variant: 'a', error: true }]);
    expect(() => parseMetricBatch([], NOW)).toThrow('must be an object');
    expect(() => parseMetricBatch({ events: [], x: 1 }, NOW)).toThrow('unknown field "x"');
    expect(() => parseMetricBatch({ events: [{ variant: 'a' }] }, NOW)).toThrow('events[0]:');
  });
});
