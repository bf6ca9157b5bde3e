import { randomBytes } from 'node:crypto';
import fc from 'fast-check';

/**
 * Generators of hostile requests for the fuzz suite: every value is either plausible (taken from
 * the route's own OpenAPI schema, so requests get past the first check and into the services) or
 * nasty (wrong types, huge and tiny numbers, "NaN"/"Infinity" strings, unicode edge cases, SQL and
 * JSON injection, deep nesting, oversized arrays), mixed at every position of a body, query string
 * and path.
 */

/* Values JSON.stringify cannot write (1e400 parses to Infinity) and structures too big to build as
 * objects travel as marker strings and are spliced into the JSON text by `serializeBody`. */
const MARK = '\u2063';

export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n',
  'NaN',
  'Infinity',
  '-Infinity',
  '+Infinity',
  '1e309',
  '-1e309',
  '1e-400',
  '0x1F',
  '0b101',
  '1_000',
  '١٢٣',
  '-0',
  '00',
  'null',
  'undefined',
  'true',
  'false',
  '[]',
  '{}',
  "' OR '1'='1",
  "'; DROP TABLE ab_tests; --",
  '" OR ""="',
  "1; SELECT pg_sleep(10)--",
  "' UNION SELECT passwd FROM pg_shadow--",
  "admin'--",
  '$1',
  '$$; DROP TABLE models; $$',
  '\\',
  "\\'",
  '%s%s%s%n',
  '{{7*7}}',
  '${7*7}',
  '{"$gt": ""}',
  '{"__proto__": {"polluted": true}}',
  '","roles":["admin"],"x":"',
  '__proto__',
  'constructor',
  'prototype',
  'a\u0000b',
  '\u0000',
  '\uD800',
  '\uDFFF\uD800',
  '\uFEFF',
  '\u200B',
  '\u202Eevil',
  '🚀🔥💥',
  '👩‍👩‍👧‍👦',
  'Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍A̴̵̜̰͔ͫ͗͢L̠ͨͧͩ͘G̴̻͈͍͔̹̑͗̎̅͛́Ǫ̵̹̻̝̳͂̌̌͘',
  'ﷺ',
  'Ω≈ç√∫',
  '../../../../etc/passwd',
  '..%2f..%2f',
  '<script>alert(1)</script>',
  '\r\n\r\nHTTP/1.1 200 OK\r\n',
  'v1.0.0',
  'v2.0.0',
  '1.0.0',
  'v999999999999999999999.0.0',
  'safety_classifier',
  'intent_classifier',
  'production',
  'a',
  'b',
  'A',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '2026-13-45T25:61:61Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '2026-01-05',
];

const NASTY_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 63,
  1e21,
  5e-324,
  1e-7,
  10_001,
  100_000_000,
];

/** Spliced in as raw JSON text (see serializeBody). */
const RAW_MARKERS: readonly string[] = [`${MARK}INF`, `${MARK}NINF`, `${MARK}BIG`, `${MARK}PROTO`, `${MARK}CTOR`];

const nastyScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_MARKERS) },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 200, max: 11_000 }), fc.constant(70_000)).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 11_000 }).map((n) => 'ä'.repeat(n)) },
);

/** Shapes that hurt parsers and validators: deep nesting, very wide arrays and objects. */
const nastyStructure: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 50, max: 4000 }).map((n) => `${MARK}DEEPARR${n}`),
  fc.integer({ min: 50, max: 4000 }).map((n) => `${MARK}DEEPOBJ${n}`),
  fc.oneof(fc.integer({ min: 100, max: 2000 }), fc.constantFrom(10_000, 10_001, 12_000)).map((n) => `${MARK}WIDEOBJ${n}`),
  fc.integer({ min: 100, max: 20_000 }).map((n) => `${MARK}WIDENUM${n}`),
  fc.integer({ min: 100, max: 5000 }).map((n) => `${MARK}KEYS${n}`),
  fc.constant(`${MARK}PROTO`),
  fc.constant(`${MARK}CTOR`),
);

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: nastyScalar },
  { weight: 2, arbitrary: nastyStructure },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(nastyScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...NASTY_STRINGS.slice(0, 40)), nastyScalar, { maxKeys: 3 }) },
);

function expandMarker(kind: string, arg: string): string {
  const n = Number(arg);
  switch (kind) {
    case 'INF':
      return '1e400';
    case 'NINF':
      return '-1e400';
    case 'BIG':
      return '123456789012345678901234567890123456789';
    case 'PROTO':
      return '{"__proto__":{"polluted":"yes"},"a":1}';
    case 'CTOR':
      return '{"constructor":{"prototype":{"polluted":"yes"}}}';
    case 'DEEPARR':
      return '['.repeat(n) + ']'.repeat(n);
    case 'DEEPOBJ':
      return '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    case 'WIDEOBJ':
      return `[${Array.from({ length: n }, (_, i) => `{"variant":"${i % 2 ? 'a' : 'b'}","latency_ms":${i % 500}}`).join(',')}]`;
    case 'WIDENUM':
      return `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
    case 'KEYS':
      return `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    default:
      return 'null';
  }
}

/** JSON text of a generated value, with the markers spliced in as raw JSON. */
export function serializeBody(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  if (!text.includes(MARK)) return text;
  return text.replace(new RegExp(`"${MARK}([A-Z]+)(\\d*)"`, 'g'), (_match, kind: string, arg: string) => expandMarker(kind, arg));
}

export function isMarker(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(MARK);
}

/** The value with the given probability, else null (fc.option's `freq` sets the chance of null instead). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, probability: number): fc.Arbitrary<T | null> {
  const weight = Math.max(1, Math.round(1 / probability) - 1);
  return fc.oneof({ weight, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

// ---------------------------------------------------------------- OpenAPI-driven plausible values

export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  example?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

export interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

export class SchemaValues {
  constructor(private readonly doc: OpenApiDocument) {}

  operation(method: string, routerPath: string): OpenApiOperation | undefined {
    const path = routerPath.replace(/:(\w+)/g, '{$1}');
    return this.doc.paths[path]?.[method.toLowerCase()];
  }

  resolve(schema: Schema | undefined): Schema {
    let current = schema ?? {};
    for (let i = 0; current.$ref && i < 10; i++) current = this.doc.components?.schemas?.[current.$ref.split('/').pop()!] ?? {};
    if (current.allOf?.length) return this.resolve(current.allOf[0]);
    return current;
  }

  /**
   * A value for `schema` where each position is plausible with probability valid/(valid+nasty) and
   * nasty otherwise; objects get an unknown property now and then.
   */
  value(schema: Schema | undefined, weights: { valid: number; nasty: number }, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const plausible = depth > 5 ? fc.constant(s.example ?? null) : this.plausible(s, weights, depth);
    return fc.oneof({ weight: weights.valid, arbitrary: plausible }, { weight: weights.nasty, arbitrary: nastyValue });
  }

  private plausible(s: Schema, weights: { valid: number; nasty: number }, depth: number): fc.Arbitrary<unknown> {
    const variants = s.oneOf ?? s.anyOf;
    if (variants?.length) return fc.oneof(...variants.map((v) => this.value(v, weights, depth + 1)));
    if (s.enum?.length) return fc.constantFrom(...s.enum, ...(s.nullable ? [null] : []));
    // The documented example is valid: mostly-valid bodies lean on it.
    const example = s.example !== undefined ? [{ weight: weights.valid >= 10 * weights.nasty ? 6 : 1, arbitrary: fc.constant(s.example) }] : [];
    if (s.type === 'object' || s.properties) {
      const properties = Object.entries(s.properties ?? {});
      // Mostly-valid bodies keep the required properties, so they get past validation into the services.
      const mostlyValid = weights.valid >= 10 * weights.nasty;
      const record = fc.record(Object.fromEntries(properties.map(([key, property]) => [key, this.value(property, weights, depth + 1)])), {
        requiredKeys: mostlyValid ? (s.required ?? []).filter((key) => key in (s.properties ?? {})) : [],
      });
      const extra = sometimes(fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'user_id', 'role', 'roles', 'id', 'status', ''), nastyScalar), mostlyValid ? 1 / 30 : 1 / 5);
      return fc.tuple(record, extra).map(([value, more]) => (more ? { ...value, [more[0]]: more[1] } : value));
    }
    switch (s.type) {
      case 'array':
        return fc.array(this.value(s.items, weights, depth + 1), { maxLength: depth === 0 ? 6 : 3 });
      case 'string': {
        const formatted =
          s.format === 'uuid'
            ? fc.uuid()
            : s.format === 'date-time'
              ? fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
              : fc.string({ minLength: 1, maxLength: 24 });
        return fc.oneof(...example, { weight: 1, arbitrary: formatted });
      }
      case 'integer':
        return fc.oneof(...example, { weight: 1, arbitrary: fc.integer({ min: Math.max(s.minimum ?? -5, -1e6), max: Math.min(s.maximum ?? 1000, 1e9) }) });
      case 'number':
        return fc.oneof(...example, {
          weight: 1,
          arbitrary: fc.double({ min: Math.max(s.minimum ?? -5, -1e6), max: Math.min(s.maximum ?? 1000, 1e9), noNaN: true, noDefaultInfinity: true }),
        });
      case 'boolean':
        return fc.boolean();
      default:
        return fc.oneof(...example, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
    }
  }
}

// ---------------------------------------------------------------- query strings and path segments

/** Percent-encodes the UTF-8 bytes (lone surrogates become U+FFFD, as on the wire; encodeURIComponent would throw). */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment: a known id (valid), a random UUID, or something nasty (encoded, or raw). */
export function pathSegment(known: readonly string[]): fc.Arbitrary<{ raw: string; sent: string }> {
  const encoded = (value: string) => ({ raw: percentEncode(value), sent: value });
  return fc.oneof(
    { weight: known.length > 0 ? 4 : 0, arbitrary: fc.constantFrom(...(known.length > 0 ? known : ['x'])).map(encoded) },
    { weight: 2, arbitrary: fc.uuid().map(encoded) },
    { weight: 1, arbitrary: fc.uuid().map((id) => encoded(id.toUpperCase())) },
    { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length > 0 && s.length < 2000)).map(encoded) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).map(encoded) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '%2F', '%00', ';', '%20', '+', '*', 'a'.repeat(5000)).map((raw) => ({ raw, sent: raw })) },
  );
}

/** A query string: known parameters with plausible or nasty values, unknown keys, repeats, bracket forms, broken encodings. */
export function queryString(known: ReadonlyArray<{ name: string; values: fc.Arbitrary<unknown> }>): fc.Arbitrary<{ raw: string; sent: string[] }> {
  const pair = (name: string, values: fc.Arbitrary<unknown>) => values.map((value) => [name, typeof value === 'string' ? value : JSON.stringify(value) ?? ''] as [string, string]);
  const knownPairs = known.map(({ name, values }) => fc.option(pair(name, values), { freq: 4 }));
  const extraKeys = fc.constantFrom('x', '__proto__', 'constructor[prototype][polluted]', 'model_type[]', 'model_type[$ne]', 'user_id[0]', 'limit', 'offset', '', '%', 'a'.repeat(3000));
  const extras = fc.array(fc.tuple(extraKeys, fc.constantFrom(...NASTY_STRINGS.slice(0, 60))), { maxLength: 2 });
  const repeat = sometimes(fc.constantFrom(...known.map((k) => k.name), 'x'), 1 / 4);
  const rawTail = sometimes(fc.constantFrom('&', '&&', '=', '%', 'model_type', 'model_type=%E0%A4%A', 'a=%zz', '&=&=', `q=${'%41'.repeat(3000)}`), 1 / 4);
  const clean = fc.tuple(fc.tuple(...knownPairs), fc.constant([] as Array<[string, string]>), fc.constant(null), fc.constant(null));
  const dirty = fc.tuple(fc.tuple(...knownPairs), extras, repeat, rawTail);
  return fc.oneof(clean, dirty, dirty).map(([pairs, more, repeated, tail]) => {
    const all = [...pairs.filter((p): p is [string, string] => p !== null), ...more];
    if (repeated) all.push([repeated, 'again']);
    const parts = all.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`);
    if (tail) parts.push(tail);
    return { raw: parts.join('&'), sent: all.flat() };
  });
}

// ---------------------------------------------------------------- multipart bodies

export interface MultipartPart {
  name: string;
  value: string | Buffer;
  filename?: string;
}

export function multipartBody(parts: readonly MultipartPart[], boundary = `fuzz${randomBytes(6).toString('hex')}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name.replace(/"/g, '%22')}"${part.filename !== undefined ? `; filename="${part.filename.replace(/"/g, '%22')}"` : ''}`;
    const type = part.filename !== undefined ? '\r\nContent-Type: application/octet-stream' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
