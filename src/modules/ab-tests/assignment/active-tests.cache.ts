import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChangeFeed, type Change } from '../../../database/change-feed.service.js';
import { MODEL_VERSIONS_TOPIC, ModelTypesService } from '../../model-registry/model-types.service.js';
import { ModelVersionsService } from '../../model-registry/model-versions.service.js';
import { AbTestRepository, type RunningTestRow } from '../ab-test.repository.js';
import { AssignmentCache, type AssignmentCacheStats } from './assignment-cache.js';

import { MODEL_TYPE_PATTERN } from '../dto/create-ab-test.dto.js';
import type { ModelTypeRouting, ModelVersionForUser, RunningTest } from './routing.js';
import { trafficSplitProblems } from '../lifecycle/traffic-split.js';
import type { Variant } from '../../../common/variant.js';
import { AbTestsConfig } from '../ab-tests.config.js';
import { describeError } from '../../../common/logging/describe-error.js';

/** When the configuration does not say (unit tests build a partial one). */
const DEFAULT_ASSIGNMENT_CACHE_BYTES = 64 * 1024 * 1024;

/** The ChangeFeed topic of A/B test changes; the key is the model type. */
export const AB_TESTS_TOPIC = 'ab_tests';

interface Slot {
  routing: ModelTypeRouting | null;
  /** False after an invalidation: readers wait for the reload instead of using `routing`. */
  fresh: boolean;
  /** Bumped by every invalidation, so a load that started before it cannot install stale data. */
  generation: number;
  loading: Promise<ModelTypeRouting> | null;
}

/**
 * The assignment hot path's view of each model type: its active or paused test, else its production
 * version. Filled on first use, then kept current three ways: local lifecycle changes invalidate it
 * right after commit, other instances' changes arrive through the ChangeFeed (LISTEN/NOTIFY), and
 * every ASSIGNMENT_CACHE_REFRESH_MS it is re-read in the background in case a notification was lost.
 * After an invalidation, readers wait for the reload, so an instance never serves a state older
 * than the change it was told about.
 */
@Injectable()
export class ActiveTestsCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ActiveTestsCache');
  private readonly slots = new Map<string, Slot>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshing = false;
  /** Every running test's sticky assignments, in ASSIGNMENT_CACHE_MB. */
  private readonly assignedUsers: AssignmentCache;

  constructor(
    private readonly tests: AbTestRepository,
    private readonly modelTypes: ModelTypesService,
    private readonly modelVersions: ModelVersionsService,
    private readonly changeFeed: ChangeFeed,
    @Inject(AbTestsConfig.token) private readonly config: AbTestsConfig,
  ) {
    this.assignedUsers = new AssignmentCache(config.assignmentCacheBytes ?? DEFAULT_ASSIGNMENT_CACHE_BYTES);
  }

  /** How full the sticky-assignment cache is (for benches and diagnostics). */
  get assignmentCacheStats(): AssignmentCacheStats {
    return this.assignedUsers.stats;
  }

  onModuleInit(): void {
    this.unsubscribe = this.changeFeed.subscribe((change) => this.onChange(change));
    this.timer = setInterval(() => void this.refreshAll(), this.config.assignmentCacheRefreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** The current routing when it is cached and fresh: the synchronous fast path. */
  peek(modelType: string): ModelTypeRouting | undefined {
    const slot = this.slots.get(modelType);
    return slot !== undefined && slot.fresh ? (slot.routing ?? undefined) : undefined;
  }

  /** The current routing, reading the database when it is not cached or was invalidated. */
  get(modelType: string): Promise<ModelTypeRouting> {
    const cached = this.peek(modelType);
    if (cached) return Promise.resolve(cached);
    return this.loadRegistered(modelType);
  }

  /** Model types in the cache (registered ones only). */
  get cachedModelTypes(): number {
    return this.slots.size;
  }

  /**
   * Only registered model types get a slot (which every refresh re-reads): a name the registry
   * does not know routes nowhere and is answered from its cached list, so made-up names grow
   * nothing and cost the database nothing per name.
   */
  private async loadRegistered(modelType: string): Promise<ModelTypeRouting> {
    if (!MODEL_TYPE_PATTERN.test(modelType) || !(await this.modelTypes.isRegisteredModelType(modelType))) {
      return { modelType, test: null, production: null };
    }
    return this.load(modelType);
  }

  /** Drops what is known about a model type; the next reader waits for a fresh read (started now). */
  invalidate(modelType: string): void {
    const slot = this.slots.get(modelType);
    if (!slot) return;
    slot.generation++;
    slot.fresh = false;
    slot.loading = null;
    this.load(modelType).catch((error: unknown) => this.logger.warn(`reloading "${modelType}" failed: ${describeError(error)}`));
  }

  invalidateAll(): void {
    for (const modelType of [...this.slots.keys()]) this.invalidate(modelType);
  }

  private onChange(change: Change): void {
    if (change.topic === '*') this.invalidateAll();
    else if (change.topic === AB_TESTS_TOPIC || change.topic === MODEL_VERSIONS_TOPIC) {
      if (change.key) this.invalidate(change.key);
      else this.invalidateAll();
    }
  }

  private load(modelType: string): Promise<ModelTypeRouting> {
    let slot = this.slots.get(modelType);
    if (!slot) {
      slot = { routing: null, fresh: false, generation: 0, loading: null };
      this.slots.set(modelType, slot);
    }
    if (slot.loading) return slot.loading;
    const owner = slot;
    const generation = owner.generation;
    const loading: Promise<ModelTypeRouting> = this.read(modelType, owner.routing?.test ?? null).then(
      (routing) => {
        // Superseded by an invalidation while reading: what we read may predate the change.
        if (owner.generation !== generation) return this.load(modelType);
        this.install(modelType, owner, routing);
        return routing;
      },
      (error: unknown) => {
        if (owner.loading === loading) owner.loading = null;
        throw error;
      },
    );
    owner.loading = loading;
    return loading;
  }

  private install(modelType: string, slot: Slot, routing: ModelTypeRouting): void {
    slot.routing = routing;
    slot.fresh = true;
    slot.loading = null;
  }

  private async read(modelType: string, previous: RunningTest | null): Promise<ModelTypeRouting> {
    const rows = await this.tests.findRunning([modelType]);
    return this.routingFor(modelType, rows[0] ?? null, previous);
  }

  private async routingFor(modelType: string, row: RunningTestRow | null, previous: RunningTest | null): Promise<ModelTypeRouting> {
    if (row) return { modelType, test: this.toRunningTest(row, previous), production: null };
    const production = await this.modelVersions.getProductionVersion(modelType);
    return {
      modelType,
      test: null,
      production: production ? Object.freeze<ModelVersionForUser>({ abTestId: null, variant: null, version: production.version }) : null,
    };
  }

  private toRunningTest(row: RunningTestRow, previous: RunningTest | null): RunningTest {
    let split = { a: Number(row.traffic_split?.a), b: Number(row.traffic_split?.b) };
    const problems = trafficSplitProblems(split);
    if (problems.length > 0) {
      // Only a hand-edited row can get here (the API validates every split): send new users to the control.
      this.logger.error(`A/B test ${row.id} has an unusable traffic split (${problems.join('; ')}); assigning new users to a`);
      split = { a: 1, b: 0 };
    }
    const result = (variant: Variant, version: string): ModelVersionForUser => Object.freeze({ abTestId: row.id, variant, version });
    return Object.freeze({
      id: row.id,
      status: row.status,
      hashSeed: row.hash_seed,
      split: Object.freeze(split),
      splitVersion: row.split_version,
      resultA: result('a', row.variant_a),
      resultB: result('b', row.variant_b),
      shadowResult:
        row.mode === 'shadow'
          ? Object.freeze<ModelVersionForUser>({
              abTestId: row.id,
              variant: 'a',
              version: row.variant_a,
              shadow: Object.freeze({ version: row.variant_b, sampleRate: Number(row.shadow_sample_rate ?? 1) }),
            })
          : null,
      assigned: previous?.id === row.id ? previous.assigned : this.assignedUsers.forTest(row.id),
    });
  }

  /** The periodic re-read: one query for every cached model type's running test, in the background. */
  private async refreshAll(): Promise<void> {
    if (this.refreshing || this.slots.size === 0) return;
    this.refreshing = true;
    try {
      const snapshot = [...this.slots.entries()].map(([modelType, slot]) => ({ modelType, slot, generation: slot.generation }));
      const rows = await this.tests.findRunning(snapshot.map((entry) => entry.modelType));
      const byType = new Map(rows.map((row) => [row.model_type, row]));
      await Promise.all(
        snapshot.map(async ({ modelType, slot, generation }) => {
          const routing = await this.routingFor(modelType, byType.get(modelType) ?? null, slot.routing?.test ?? null);
          // An invalidation or a load since we started has newer data: keep it.
          if (slot.generation === generation && slot.loading === null && this.slots.get(modelType) === slot) this.install(modelType, slot, routing);
        }),
      );
    } catch (error) {
      this.logger.warn(`periodic refresh of running A/B tests failed (serving the last known state): ${describeError(error)}`);
    } finally {
      this.refreshing = false;
    }
  }
}
