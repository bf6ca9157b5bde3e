import { DomainError } from './domain-error.js';

/**
 * AB_TEST_NOT_FOUND, worded once: the A/B tests module answers it for an unknown test id
 * (`AbTestError.notFound`), and the metrics module for a batch whose test does not exist (a
 * non-UUID id, or a test deleted under the batch), which cannot import the A/B tests module's errors.
 */
export function abTestNotFound(id: string): DomainError {
  return new DomainError('AB_TEST_NOT_FOUND', `A/B test ${id} does not exist`, { test_id: id });
}
