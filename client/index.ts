/**
 * A typed client for the model-ab HTTP API, for other Node services (Node ≥ 20: it uses the global
 * `fetch`). Types come from openapi.json (`npm run client` regenerates `schema.d.ts`); calls go
 * through openapi-fetch, so paths, parameters, bodies and answers are all checked by TypeScript.
 *
 * ```ts
 * import { createModelAbClient } from './client/index.js';
 * const api = createModelAbClient({ baseUrl: 'http://127.0.0.1:3000', token: process.env.MODEL_AB_TOKEN });
 * const { data, error } = await api.POST('/api/v1/ab-tests', {
 *   body: { name: 'Safety Classifier v2 Test', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } },
 * });
 * if (error) throw new ModelAbError(error); // {status_code, error, message, code, details?}
 * ```
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';
export type Schemas = components['schemas'];
export type ErrorBody = Schemas['ErrorBody'];
export type ModelAbClient = Client<paths>;

export interface ModelAbClientOptions {
  /** The service, e.g. `http://127.0.0.1:3000` (no `/api/v1`: paths carry it). */
  baseUrl: string;
  /** A bearer token (`npm run token -- --sub my-service --role service`); omit for public routes only. */
  token?: string;
  /** Another fetch (tests, proxies); default the global one. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers sent with every request (e.g. `x-request-id`). */
  headers?: Record<string, string>;
}

export function createModelAbClient(options: ModelAbClientOptions): ModelAbClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** An error answer as an Error: `code` is stable, switch on it. */
export class ModelAbError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorBody['details'];

  constructor(readonly body: ErrorBody) {
    super(`${body.status_code} ${body.code}: ${body.message}`);
    this.name = 'ModelAbError';
    this.status = body.status_code;
    this.code = body.code;
    this.details = body.details;
  }
}

/** The data of a call, or a ModelAbError carrying its error body. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) {
    if (error && typeof error === 'object' && 'code' in error) throw new ModelAbError(error as ErrorBody);
    throw new Error(`${response.status} ${response.statusText}: no data`);
  }
  return data;
}
