import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorCodeInfo } from '../common/errors/error-codes.js';
import { reasonPhrase } from '../common/errors/http-status.js';

/*
 * What every operation of this service answers besides its own responses, added to the generated
 * document in one place so a new route is documented right without repeating decorators: the
 * router's and the body parser's errors, the write rate limit, the request id header, and the
 * error body as JSON whatever the operation produces on success.
 */

type Json = Record<string, unknown>;
type Schema = Json & { $ref?: string; properties?: Record<string, Schema>; items?: Schema; allOf?: Schema[]; oneOf?: Schema[]; anyOf?: Schema[] };
interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  example?: unknown;
  schema?: Schema;
}
interface Response {
  description: string;
  headers?: Json;
  content?: Record<string, { schema?: Schema; example?: unknown; examples?: Json }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, Response>;
}

const ERROR_BODY_REF = '#/components/schemas/ErrorBody';
const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Tags in the order Swagger UI shows them, each with what it groups. */
export const API_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'ab-tests', description: 'A/B tests of two model versions: create, start, ramp, pause, complete; assignment; metrics ingestion, results and charts' },
  { name: 'models', description: 'Model registry: model types, immutable versions (ONNX artifacts), stages and promotion' },
  { name: 'safety', description: 'Safety checks of a text by the safety classifier the caller is assigned' },
  { name: 'conversations', description: 'Chat messages: intent, safety verdict and a reply, each through the A/B-tested models' },
  { name: 'predictions', description: 'Feedback on a prediction (was it right?), recorded as accuracy for the variant that made it' },
  { name: 'auth', description: 'The caller’s verified token claims; the dashboard’s sign-in and sign-out (session cookie)' },
  { name: 'health', description: 'Liveness and readiness probes (no token)' },
  { name: 'metrics', description: 'Prometheus scrape endpoint (no token, unless the server sets METRICS_TOKEN)' },
];

/** Errors every operation of a given kind can answer (added where the operation does not declare them). */
function genericErrors(method: string, operation: Operation, secured: boolean): Array<[string, string]> {
  const params = operation.parameters ?? [];
  const out: Array<[string, string]> = [];
  const contentTypes = Object.keys(operation.requestBody?.content ?? {});
  const multipart = contentTypes.includes('multipart/form-data');
  if (operation.requestBody && !multipart) out.push(['400', 'VALIDATION_FAILED listing every problem of the body, or MALFORMED_JSON']);
  if (params.some((p) => p.in === 'path')) out.push(['400', 'VALIDATION_FAILED: a path parameter is malformed, or BAD_REQUEST: the URL is malformed']);
  if (params.some((p) => p.in === 'query')) out.push(['400', 'VALIDATION_FAILED: a query parameter is missing, malformed or unknown']);
  if (params.some((p) => p.in === 'path')) out.push(['414', 'URI_TOO_LONG: a path parameter is longer than 100 characters']);
  if (operation.requestBody) {
    out.push(['413', multipart ? 'PAYLOAD_TOO_LARGE: the upload exceeds MAX_UPLOAD_BYTES' : 'PAYLOAD_TOO_LARGE: the body exceeds BODY_LIMIT_BYTES']);
    out.push(['415', multipart ? 'UNSUPPORTED_MEDIA_TYPE: send multipart/form-data' : 'UNSUPPORTED_MEDIA_TYPE: send Content-Type: application/json']);
  }
  if (secured && WRITE_METHODS.has(method)) {
    out.push(['403', "CSRF_REJECTED: a write authenticated by the dashboard's session cookie without this server's own Origin"]);
  }
  if (WRITE_METHODS.has(method)) {
    out.push(['429', 'RATE_LIMITED: over the write limit per token (RATE_LIMIT_WRITES_PER_MINUTE); retry after `Retry-After` seconds']);
  }
  out.push(['431', 'HEADERS_TOO_LARGE: the request headers are larger than the server accepts']);
  out.push(['503', 'SHUTTING_DOWN: the server is stopping, retry elsewhere']);
  if (secured) out.push(['503', "IDENTITY_PROVIDER_UNAVAILABLE: an identity provider's token while its signing keys cannot be fetched"]);
  return out;
}

/** Known codes a response description names, in order. */
function codesIn(description: string): ErrorCode[] {
  const named: string[] = description.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [];
  return named.filter((code, i) => named.indexOf(code) === i).filter(isErrorCode);
}

function errorExamples(status: number, description: string): Json {
  const codes = codesIn(description);
  const defaults: Record<number, ErrorCode> = { 400: 'VALIDATION_FAILED', 401: 'AUTH_REQUIRED', 403: 'FORBIDDEN_ROLE', 404: 'NOT_FOUND', 503: 'SHUTTING_DOWN' };
  if (codes.length === 0 && defaults[status]) codes.push(defaults[status]!);
  const examples: Json = {};
  for (const code of codes) {
    const info: ErrorCodeInfo = ERROR_CODES[code];
    const value: Json = { status_code: status, error: reasonPhrase(status), message: info.message, code };
    if (info.details === 'fields') value.details = [{ field: 'traffic_split.a', problems: [info.message] }];
    else if (info.details) value.details = info.details;
    examples[code] = { summary: code, value };
  }
  return examples;
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** Names of the component schemas a schema uses, transitively. */
function collectRefs(schema: unknown, schemas: Record<string, Schema>, into: Set<string>): void {
  if (!schema || typeof schema !== 'object') return;
  if (Array.isArray(schema)) {
    for (const item of schema) collectRefs(item, schemas, into);
    return;
  }
  const ref = (schema as Schema).$ref;
  if (typeof ref === 'string') {
    const name = refName(ref);
    if (!into.has(name)) {
      into.add(name);
      collectRefs(schemas[name], schemas, into);
    }
  }
  for (const value of Object.values(schema)) collectRefs(value, schemas, into);
}

/**
 * A property with a `default` that only requests use is optional: the server fills it in. Several
 * generators (openapi-typescript among them) read `default` as "always present" and make the field
 * required, so requests state the default in words instead.
 */
function describeRequestDefaults(schema: Schema): void {
  for (const property of Object.values(schema.properties ?? {})) {
    if (!('default' in property)) continue;
    const text = `Default: \`${JSON.stringify(property.default)}\`.`;
    const before = String(property.description ?? '').trim();
    property.description = before ? `${before}${/[.!?)]$/.test(before) ? '' : '.'} ${text}` : text;
    delete property.default;
  }
}

/**
 * OpenAPI 3.0.3: `nullable` does not extend an `enum`, so a nullable enum lists null itself
 * (otherwise strict validators reject the nulls the service sends, e.g. `winner: null`).
 */
function nullableEnums(value: unknown): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach(nullableEnums);
  const schema = value as Schema;
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...(schema.enum as unknown[]), null];
  for (const item of Object.values(schema)) nullableEnums(item);
}

/**
 * `{nullable: true, allOf: [{$ref}]}` (what @nestjs/swagger writes for a nullable nested class)
 * still rejects null: the allOf member is checked on its own. Such a property gets the referenced
 * schema inline, where `nullable` applies.
 */
function inlineNullableRefs(value: unknown, schemas: Record<string, Schema>): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach((item) => inlineNullableRefs(item, schemas));
  const schema = value as Schema;
  for (const [key, item] of Object.entries(schema)) {
    const child = item as Schema | null;
    if (child && typeof child === 'object' && child.nullable === true && child.allOf?.length === 1 && typeof child.allOf[0]!.$ref === 'string') {
      const target = schemas[refName(child.allOf[0]!.$ref)];
      if (target) {
        const { allOf: _allOf, ...rest } = child;
        (schema as Json)[key] = { ...structuredClone(target), ...rest, nullable: true };
        continue;
      }
    }
    inlineNullableRefs(item, schemas);
  }
}

export function finalizeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  const doc = document as unknown as Json & { paths: Record<string, Record<string, Operation>>; components: Json & { schemas: Record<string, Schema> } };
  doc.servers = [{ url: 'http://127.0.0.1:3000', description: 'npm start on this machine (the served /docs-json names the host it was read from)' }];
  doc.tags = API_TAGS.map((tag) => ({ ...tag }));
  doc.components.headers = {
    RequestId: {
      description: 'The request id (yours when you sent `x-request-id`, else generated); every log line of the request carries it',
      schema: { type: 'string', example: '9f86d081-1b' },
    },
    RetryAfter: { description: 'Seconds until the rate-limit window lets the caller write again', schema: { type: 'integer', example: 60 } },
  };

  const requestSchemas = new Set<string>();
  const responseSchemas = new Set<string>();
  for (const pathItem of Object.values(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      collectRefs(operation.requestBody, doc.components.schemas, requestSchemas);
      collectRefs(operation.responses, doc.components.schemas, responseSchemas);
      // A controller-level response object is shared by its operations: each gets its own copy to extend.
      operation.responses = structuredClone(operation.responses);
      const secured = (operation.security ?? []).length > 0;
      if (!operation.security) operation.security = [];
      for (const parameter of operation.parameters ?? []) {
        // Swagger UI fills a parameter's example into its input: an optional filter must start empty.
        if (parameter.in === 'query' && !parameter.required) {
          const example = parameter.example ?? parameter.schema?.example;
          if (example !== undefined && !String(parameter.description ?? '').includes('e.g.')) {
            parameter.description = `${parameter.description ? `${parameter.description} ` : ''}(e.g. \`${String(example)}\`)`;
          }
          delete parameter.example;
          if (parameter.schema) delete parameter.schema.example;
        }
      }
      for (const [status, description] of genericErrors(method, operation, secured)) {
        const existing = operation.responses[status];
        if (!existing) {
          operation.responses[status] = { description };
        } else {
          const missing = codesIn(description).filter((code) => !codesIn(existing.description).includes(code));
          if (missing.length > 0 && codesIn(existing.description).length === 0) existing.description = `${existing.description}: ${description}`;
          else if (missing.length > 0) existing.description = `${existing.description}; ${description}`;
        }
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        response.headers = { 'x-request-id': { $ref: '#/components/headers/RequestId' }, ...(response.headers ?? {}) };
        if (Number(status) >= 400) {
          // Browser navigations (the dashboard's sign-in) may also answer errors as a page: keep a declared text/html.
          const page = response.content?.['text/html'];
          response.content = { 'application/json': { schema: { $ref: ERROR_BODY_REF }, examples: errorExamples(Number(status), response.description) }, ...(page ? { 'text/html': page } : {}) };
        }
        if (status === '429') response.headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
      }
      operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  inlineNullableRefs(doc.components.schemas, doc.components.schemas);
  nullableEnums(doc.components);
  nullableEnums(doc.paths);
  for (const name of requestSchemas) {
    if (!responseSchemas.has(name) && doc.components.schemas[name]) describeRequestDefaults(doc.components.schemas[name]);
  }
  // A schema only used through a nullable reference is now inline: drop the orphaned component.
  const used = new Set<string>();
  collectRefs(doc.paths, doc.components.schemas, used);
  for (const name of Object.keys(doc.components.schemas)) if (!used.has(name)) delete doc.components.schemas[name];
  return document;
}
