import type { AssignedUsers } from './assignment-cache.js';
import type { TrafficSplit } from './bucketing.js';
import type { Variant } from '../../../common/variant.js';

/** What `getModelVersionForUser` answers: the model version to run, and the test and variant it came from. */
export interface ModelVersionForUser {
  /** The running A/B test, or null when the production version is served. */
  readonly abTestId: string | null;
  /** a or b within the test; null when no test runs. */
  readonly variant: Variant | null;
  readonly version: string;
  /**
   * Active shadow tests only: the version to run on the same input after answering with `version`
   * (for a sampled share of requests), never to serve.
   */
  readonly shadow?: ShadowTarget;
}

export interface ShadowTarget {
  readonly version: string;
  /** Share of requests to run it on (0 < r ≤ 1). */
  readonly sampleRate: number;
}

/** An active or paused test as the assignment hot path needs it. */
export interface RunningTest {
  readonly id: string;
  readonly status: 'active' | 'paused';
  readonly hashSeed: string;
  readonly split: TrafficSplit;
  readonly splitVersion: number;
  /** Shared, frozen answers: the hot path allocates nothing for a known user. */
  readonly resultA: ModelVersionForUser;
  readonly resultB: ModelVersionForUser;
  /** Shadow tests: what every user gets while active (a's version, with b to shadow); null for A/B tests. */
  readonly shadowResult: ModelVersionForUser | null;
  /**
   * user id → stored variant (this test's part of the instance's AssignmentCache). Assignments never
   * change while the test exists, so this can only be stale by missing entries, never by wrong ones;
   * it survives cache reloads of the same test.
   */
  readonly assigned: AssignedUsers;
}

/** How one model type routes right now. */
export interface ModelTypeRouting {
  readonly modelType: string;
  readonly test: RunningTest | null;
  /** The production version (only read when no test runs); null when there is none. */
  readonly production: ModelVersionForUser | null;
}
