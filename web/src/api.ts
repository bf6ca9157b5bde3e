import createClient from 'openapi-fetch';
import type { components, paths } from '../../client/schema';

/** Typed against openapi.json: a renamed field or route fails `npm run typecheck`. */
export const api = createClient<paths>({ baseUrl: '' });

export type Schemas = components['schemas'];
export type AbTest = Schemas['AbTestResponse'];
export type AbTestDetail = Schemas['AbTestDetailResponse'];
export type AbTestEvent = Schemas['AbTestEventResponse'];
export type Results = Schemas['AbTestResultsResponse'];
export type MetricResult = Schemas['MetricResultResponse'];
export type Timeseries = Schemas['TimeseriesResponse'];
export type ModelType = Schemas['ModelTypeResponse'];
export type ModelVersion = Schemas['ModelVersionResponse'];
export type StageChange = Schemas['StageChangeResponse'];
export type Me = Schemas['MeResponse'];
/** Who is signed in: what every page needs to know. */
export type Caller = Pick<Me, 'sub' | 'roles'>;
export type ErrorBody = Schemas['ErrorBody'];
export type Status = AbTest['status'];
export type Decision = Schemas['RecommendationResponse']['decision'];
export type Stage = ModelVersion['stage'];

/** An error answer of the API, in its one shape; `fields` maps a request field to its messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

/** Per-field messages from a 400's details: `[{field, problems}]` (the validation pipe's shape). */
function fieldMessages(details: unknown): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  if (!Array.isArray(details)) return fields;
  for (const item of details as Array<{ field?: unknown; problems?: unknown }>) {
    if (typeof item.field !== 'string' || !Array.isArray(item.problems)) continue;
    (fields[item.field] ??= []).push(...item.problems.map(String));
  }
  return fields;
}

/** The data of an openapi-fetch answer, or an ApiError with the API's own words. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = result.error as Partial<ErrorBody> | undefined;
  const message = typeof body?.message === 'string' ? body.message : `${result.response.status} ${result.response.statusText}`;
  throw new ApiError(result.response.status, typeof body?.code === 'string' ? body.code : 'HTTP_ERROR', message, fieldMessages(body?.details));
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
