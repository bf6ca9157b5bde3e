/**
 * What kind of failure a domain error is. Services speak in kinds, not HTTP statuses; the global
 * filter maps each kind to a status with an exhaustive switch.
 */
export type ErrorKind =
  | 'invalid' // 400: the request is malformed or breaks a rule of its own
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'method_not_allowed' // 405
  | 'conflict' // 409: the request is fine but the current state forbids it
  | 'too_large' // 413
  | 'unsupported_media_type' // 415
  | 'unprocessable' // 422: well-formed, but refers to something unusable
  | 'rate_limited' // 429
  | 'unavailable'; // 503: a dependency (database, model) cannot serve right now

/**
 * Base class of every error a module throws on purpose. `code` is stable and documented
 * (clients switch on it); `message` is for people.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
