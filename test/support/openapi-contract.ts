import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/*
 * Checks real responses against the OpenAPI document the service serves (/docs-json): the status
 * must be declared for the operation, a JSON body must validate against the declared schema, and
 * declared headers that are present must match theirs. Generic: the operation is found from the
 * request's method and path, so a new route is checked as soon as its decorators declare it.
 */

type Json = Record<string, unknown>;
interface ResponseObject {
  content?: Record<string, { schema?: Json }>;
  headers?: Record<string, Json>;
}
interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Json>; headers?: Record<string, Json> };
}

export interface ContractResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text?: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** OpenAPI 3.0 schema → JSON Schema ajv reads: refs into the document, no `discriminator`/`example`. */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value as Json)) {
    if (key === 'discriminator' || key === 'example' || key === 'examples' || key === 'xml' || key === 'externalDocs') continue;
    if (key === '$ref' && typeof item === 'string' && item.startsWith('#/')) out.$ref = `openapi${item}`;
    else out[key] = toJsonSchema(item);
  }
  // OpenAPI 3.0's boolean exclusiveMinimum/Maximum qualify minimum/maximum; JSON Schema's are numbers.
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else {
      delete out[exclusive];
    }
  }
  return out;
}

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly routes: Array<{ pattern: RegExp; path: string; method: string; operation: OperationObject }> = [];
  private readonly validators = new Map<string, ValidateFunction>();
  readonly mismatches: string[] = [];
  /** operationId → statuses seen */
  readonly covered = new Map<string, Set<number>>();
  checked = 0;

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: 'openapi', components: toJsonSchema(document.components) as Json });
    for (const [path, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(item)) this.routes.push({ pattern, path, method: method.toUpperCase(), operation });
    }
  }

  /** The declared operation for a concrete request, or null. */
  operationFor(method: string, url: string): { path: string; operation: OperationObject } | null {
    const path = url.split('?')[0]!;
    const found = this.routes.find((route) => route.method === method.toUpperCase() && route.pattern.test(path));
    return found ? { path: found.path, operation: found.operation } : null;
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as Json);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /**
   * Checks one response. Requests to paths no operation declares (404/405 of unknown routes) are
   * checked against the error body only. Returns the problems found (also kept in `mismatches`).
   */
  check(method: string, url: string, response: ContractResponse): string[] {
    this.checked++;
    const problems: string[] = [];
    const where = `${method.toUpperCase()} ${url.split('?')[0]} → ${response.status}`;
    const found = this.operationFor(method, url);
    let declared: ResponseObject | undefined;
    let key: string;
    if (!found) {
      if (response.status !== 404 && response.status !== 405) problems.push(`${where}: no operation is declared for this request`);
      declared = { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
      key = 'undeclared-error';
    } else {
      const { operation } = found;
      const statuses = this.covered.get(operation.operationId) ?? new Set<number>();
      statuses.add(response.status);
      this.covered.set(operation.operationId, statuses);
      const status = String(response.status);
      declared = operation.responses[status] ?? operation.responses[`${status[0]}XX`] ?? operation.responses.default;
      key = `${operation.operationId} ${status}`;
      if (!declared) problems.push(`${where}: status ${status} is not declared for ${operation.operationId} (declared: ${Object.keys(operation.responses).join(', ')})`);
    }
    if (declared) {
      const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
      const media = declared.content?.[contentType];
      if (declared.content && Object.keys(declared.content).length > 0 && !media) {
        problems.push(`${where}: content type "${contentType}" is not declared (declared: ${Object.keys(declared.content).join(', ')})`);
      } else if (media?.schema && contentType === 'application/json') {
        const validate = this.validator(`${key} body`, media.schema);
        if (!validate(response.body)) {
          problems.push(`${where}: body does not match the schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })} — ${JSON.stringify(response.body).slice(0, 300)}`);
        }
      }
      for (const [name, header] of Object.entries(declared.headers ?? {})) {
        const resolved = (typeof header.$ref === 'string' ? this.document.components.headers?.[String(header.$ref).split('/').pop()!] : header) as Json | undefined;
        const value = response.headers[name.toLowerCase()];
        if (value === undefined || !resolved?.schema) continue;
        const schema = resolved.schema as Json;
        const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
        const validate = this.validator(`${key} header ${name}`, schema);
        if (!validate(typed)) problems.push(`${where}: header ${name}: ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    this.mismatches.push(...problems);
    return problems;
  }
}
