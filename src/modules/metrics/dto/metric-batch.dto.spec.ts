import { DECORATORS } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { COMPARISON_EVENT_FIELDS, MAX_FUTURE_SKEW_MS, METRIC_EVENT_FIELDS, metricEventProblem, parseMetricBatch } from '../metric-events.js';
import { ComparisonEventDto, MetricBatchDto, MetricEventDto } from './metric-batch.dto.js';

/**
 * POST /ab-tests/{id}/metrics is validated by parseMetricBatch, documented by these DTOs' Swagger
 * schema, and MetricEventDto's class-validator decorators are the reference bench/metrics.ts
 * times it against. This spec derives probes from every constraint of the schema and checks that
 * the parser (and class-validator) accept exactly what the schema accepts.
 *
 * Known differences, both more lenient than the schema and asserted below so they stay visible:
 * an optional field sent as null counts as absent (the schema does not declare it nullable), and
 * a timestamp may leave out its seconds (`2026-01-05T09:00Z`; RFC 3339 date-time requires them).
 */

interface PropertySchema {
  type?: string | { name: string };
  required?: boolean;
  enum?: unknown[];
  minimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
}

type Dto = abstract new () => object;

function schemaOf(dto: Dto): Map<string, PropertySchema> {
  const names = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype) as string[]).map((key) => key.slice(1));
  return new Map(
    names.map((name) => {
      const options = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, dto.prototype, name) as PropertySchema;
      // `type` is a name, a constructor (String, Number…) or, when left out, the property's design type.
      const type = options.type ?? (Reflect.getMetadata('design:type', dto.prototype, name) as { name: string });
      return [name, { ...options, type: typeof type === 'string' ? type : type.name.toLowerCase(), required: options.required !== false }];
    }),
  );
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether a value satisfies one property's schema (the JSON Schema keywords the DTOs use). */
function schemaAccepts(value: unknown, schema: PropertySchema): boolean {
  if (schema.enum) return schema.enum.includes(value);
  switch (schema.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && (schema.minimum === undefined || value >= schema.minimum);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      if (typeof value !== 'string') return false;
      if (schema.minLength !== undefined && value.length < schema.minLength) return false;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return false;
      if (schema.format === 'date-time' && !(RFC3339.test(value) && !Number.isNaN(Date.parse(value)))) return false;
      return true;
    default:
      throw new Error(`no probes for type ${String(schema.type)}`);
  }
}

/** Values around every constraint of a property's schema. */
function probes(schema: PropertySchema): unknown[] {
  const values: unknown[] = [{}, []];
  if (schema.enum) values.push(...schema.enum, 'c', 'A', '', 1);
  else if (schema.type === 'number') values.push(-1, -0.001, 0, 0.5, 1e9, '5', true);
  else if (schema.type === 'boolean') values.push(true, false, 'yes', 1, 0);
  else if (schema.type === 'string') {
    values.push(42, true, '', 'x', 'accuracy');
    for (const length of [schema.minLength, schema.maxLength]) if (length !== undefined) values.push('x'.repeat(length - 1), 'x'.repeat(length), 'x'.repeat(length + 1));
    if (schema.pattern !== undefined) values.push('thumbs_up', 'Accuracy', '1abc', 'a'.repeat(63), 'a'.repeat(64), 'custom:x', 'a-b');
    if (schema.format === 'date-time') values.push('2026-01-05T09:00:00Z', '2026-01-05T09:00:00.123+02:00', '2026-01-05', 'yesterday', '2026-13-05T09:00:00Z', '2026-01-05 09:00:00Z');
  }
  return values;
}

const NOW = Date.UTC(2026, 0, 6);
const parserAccepts = (event: object) => metricEventProblem(event, NOW) === null;
const classValidatorAccepts = (event: object) => validateSync(plainToInstance(MetricEventDto, event), { whitelist: true, forbidNonWhitelisted: true }).length === 0;

/** A valid event each property can be varied on without breaking a rule the schema cannot state. */
const OUTCOME = { variant: 'a', error: true };
const BASES: Record<string, object> = {
  latency_ms: { variant: 'a', error: true },
  error: { variant: 'a', latency_ms: 5 },
  metric: { variant: 'a', metric: 'accuracy', value: 1 },
  value: { variant: 'a', metric: 'accuracy', value: 1 },
};
const COMPARISON = { type: 'comparison', label_a: 'safe', latency_ms_a: 1, label_b: 'toxic', latency_ms_b: 2 };

describe('MetricBatchDto and parseMetricBatch agree', () => {
  const events = schemaOf(MetricEventDto);
  const comparisons = schemaOf(ComparisonEventDto);

  it('on the fields: the parser takes exactly the documented ones', () => {
    expect([...METRIC_EVENT_FIELDS].sort()).toEqual([...events.keys()].sort());
    expect([...COMPARISON_EVENT_FIELDS].sort()).toEqual([...comparisons.keys()].sort());
    expect(parserAccepts({ ...OUTCOME, extra: 1 })).toBe(false);
    expect(parserAccepts({ ...COMPARISON, extra: 1 })).toBe(false);
  });

  it('on every constraint of a request outcome or custom value (parser and class-validator)', () => {
    let checked = 0;
    for (const [name, schema] of events) {
      const base = BASES[name] ?? OUTCOME;
      for (const value of probes(schema)) {
        const event = { ...base, [name]: value };
        const expected = schemaAccepts(value, schema);
        expect({ name, value, parser: parserAccepts(event) }).toEqual({ name, value, parser: expected });
        expect({ name, value, classValidator: classValidatorAccepts(event) }).toEqual({ name, value, classValidator: expected });
        checked++;
      }
      if (schema.required) {
        const without: Record<string, unknown> = { ...base };
        delete without[name];
        expect({ name, missing: parserAccepts(without) }).toEqual({ name, missing: false });
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('on every constraint of a comparison', () => {
    for (const [name, schema] of comparisons) {
      for (const value of probes(schema)) {
        const event = { ...COMPARISON, [name]: value };
        expect({ name, value, parser: parserAccepts(event) }).toEqual({ name, value, parser: schemaAccepts(value, schema) });
      }
      if (schema.required) {
        const without: Record<string, unknown> = { ...COMPARISON };
        delete without[name];
        expect({ name, missing: parserAccepts(without) }).toEqual({ name, missing: false });
      }
    }
  });

  it('on the timestamp limit the descriptions state (at most 5 minutes ahead)', () => {
    expect(events.get('timestamp')?.format).toBe('date-time');
    const ahead = (ms: number) => new Date(NOW + ms).toISOString();
    expect(parserAccepts({ ...OUTCOME, timestamp: ahead(MAX_FUTURE_SKEW_MS - 1000) })).toBe(true);
    expect(parserAccepts({ ...OUTCOME, timestamp: ahead(MAX_FUTURE_SKEW_MS + 1000) })).toBe(false);
  });

  it('except where the parser is knowingly more lenient than the schema', () => {
    expect(parserAccepts({ ...OUTCOME, user_id: null, timestamp: null })).toBe(true);
    expect(schemaAccepts('2026-01-05T09:00Z', events.get('timestamp')!)).toBe(false);
    expect(parserAccepts({ ...OUTCOME, timestamp: '2026-01-05T09:00Z' })).toBe(true);
  });

  it('on the batch: its item counts and its one field', () => {
    const batch = schemaOf(MetricBatchDto).get('events')!;
    const of = (n: number) => ({ events: Array.from({ length: n }, () => OUTCOME) });
    const accepts = (body: unknown) => {
      try {
        parseMetricBatch(body, NOW);
        return true;
      } catch {
        return false;
      }
    };
    expect(accepts(of(batch.minItems! - 1))).toBe(false);
    expect(accepts(of(batch.minItems!))).toBe(true);
    expect(accepts(of(batch.maxItems!))).toBe(true);
    expect(accepts(of(batch.maxItems! + 1))).toBe(false);
    expect(accepts({ ...of(1), more: 1 })).toBe(false);
    expect(accepts({})).toBe(batch.required === false);
  });
});
