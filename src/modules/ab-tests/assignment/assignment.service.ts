import { Injectable } from '@nestjs/common';
import { ActiveTestsCache } from './active-tests.cache.js';
import { AbTestError } from '../ab-tests.errors.js';
import { AssignmentWriter } from './assignment-writer.js';
import { assignVariant } from './bucketing.js';
import type { ModelVersionForUser, RunningTest } from './routing.js';
import { MAX_USER_ID_LENGTH } from '../../../common/validation/user-id.js';

export type { ModelVersionForUser } from './routing.js';

/** How often a new user's assignment is retried when the test changed state under it. */
const MAX_ATTEMPTS = 3;

/**
 * Which model version a user gets — the one service conversation and safety inject.
 *
 * 1. No active or paused test for the model type → its production version (`variant: null`).
 * 2. Paused → variant a's version for everyone; nothing is stored.
 * 3. Active shadow test → variant a's version for everyone, naming b's version to shadow; nothing is stored.
 * 4. Active → the user's stored assignment (memory first, then the database); a new user is
 *    bucketed with GrowthBook hash v2 under the current split and stored before the answer.
 */
@Injectable()
export class AssignmentService {
  constructor(
    private readonly cache: ActiveTestsCache,
    private readonly writer: AssignmentWriter,
  ) {}

  /**
   * The model version to run for `userId`, or null when the model type has neither a running test
   * nor a production version. The returned object is frozen and shared: do not modify it.
   * Rejects (→ 503) when a new assignment cannot be stored.
   */
  async getModelVersionForUser(userId: string, modelType: string): Promise<ModelVersionForUser | null> {
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) throw AbTestError.invalidUserId();
    for (let attempt = 1; ; attempt++) {
      const routing = this.cache.peek(modelType) ?? (await this.cache.get(modelType));
      const test = routing.test;
      if (test === null) return routing.production;
      if (test.status === 'paused') return test.resultA;
      if (test.shadowResult !== null) return test.shadowResult;
      const known = test.assigned.get(userId);
      if (known !== undefined) return known === 'a' ? test.resultA : test.resultB;
      const stored = await this.storeNewAssignment(test, userId);
      if (stored) return stored;
      // The test was paused or completed after we read the cache: route again with fresh state.
      this.cache.invalidate(modelType);
      if (attempt >= MAX_ATTEMPTS) throw AbTestError.assignmentUnavailable(modelType);
    }
  }

  private async storeNewAssignment(test: RunningTest, userId: string): Promise<ModelVersionForUser | null> {
    const variant = assignVariant(test.hashSeed, userId, test.split);
    const stored = await this.writer.assign(test.id, userId, variant, test.splitVersion);
    if (stored === null) return null;
    test.assigned.set(userId, stored);
    return stored === 'a' ? test.resultA : test.resultB;
  }
}
