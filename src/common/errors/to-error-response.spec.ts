import { describe, expect, it } from 'vitest';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable, toErrorResponse } from './to-error-response.js';

describe('toErrorResponse', () => {
  it.each([new QueryRunnerProviderAlreadyReleasedError(), new QueryRunnerAlreadyReleasedError()])(
    'a query runner TypeORM released after its connection failed (%s) is "database unavailable" (503)',
    (error) => {
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(toErrorResponse(error)).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' }, unexpected: false });
    },
  );

  it.each([
    [{ statusCode: 400, code: 'FST_ERR_BAD_URL', message: "'/x/%E0%A4%A' is not a valid url component" }, 400, 'BAD_REQUEST'],
    [{ statusCode: 414, code: 'FST_ERR_MAX_PARAM_LENGTH', message: "'/x' is exceeding the max param length" }, 414, 'URI_TOO_LONG'],
  ])('router errors (%j) keep their status, in the one shape', (error, status, code) => {
    const { body } = toErrorResponse(Object.assign(new Error(error.message), error));
    expect(body).toEqual({ status_code: status, error: expect.any(String), message: error.message, code });
  });

  it('anything unknown is a generic 500 that says nothing of the cause', () => {
    expect(toErrorResponse(new Error('relation "secret" does not exist')).body).toEqual({
      status_code: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      code: 'INTERNAL_ERROR',
    });
  });
});
