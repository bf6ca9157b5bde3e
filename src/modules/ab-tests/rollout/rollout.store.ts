import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../../../database/transactions.js';

export const ROLLOUT_STATES = ['ramping', 'holding', 'rolled_back', 'done'] as const;
/**
 * ramping: b is at a step before the last; holding: b is at the last step, waiting for a decision
 * (auto_complete and a conclusive recommendation, or a person); rolled_back: a guardrail was
 * breached, b is at 0 and the test paused; done: the test completed.
 */
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface RolloutPlan {
  steps: number[];
  stepMinSeconds: number;
  stepMinRequests: number;
  autoComplete: boolean;
}

/** Requests per arm when the current step began (from the metric totals). */
export interface StepBaseline {
  a: number;
  b: number;
}

export interface Rollout extends RolloutPlan {
  testId: string;
  currentStep: number;
  state: RolloutState;
  stepStartedAt: Date | null;
  nextCheckAt: Date | null;
  stepBaseline: StepBaseline | null;
  updatedAt: Date;
}

interface RolloutRow {
  ab_test_id: string;
  steps: number[];
  step_min_seconds: number;
  step_min_requests: number;
  auto_complete: boolean;
  current_step: number;
  state: RolloutState;
  step_started_at: Date | null;
  next_check_at: Date | null;
  step_baseline: StepBaseline | null;
  updated_at: Date;
}

export type RolloutUpdate = Partial<Pick<Rollout, 'currentStep' | 'state' | 'stepStartedAt' | 'nextCheckAt' | 'stepBaseline'>>;

const COLUMNS = 'ab_test_id, steps, step_min_seconds, step_min_requests, auto_complete, current_step, state, step_started_at, next_check_at, step_baseline, updated_at';


/** The only code that speaks SQL to `ab_test_rollouts`. */
@Injectable()
export class RolloutStore {
  constructor(private readonly dataSource: DataSource) {}

  async insert(tx: Tx, testId: string, plan: RolloutPlan): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO ab_test_rollouts (ab_test_id, steps, step_min_seconds, step_min_requests, auto_complete) VALUES ($1, $2::jsonb, $3, $4, $5)`,
      [testId, JSON.stringify(plan.steps), plan.stepMinSeconds, plan.stepMinRequests, plan.autoComplete],
    );
  }

  async find(testId: string, tx?: Tx): Promise<Rollout | null> {
    const db = tx ? managerOf(tx) : this.dataSource.manager;
    const rows = (await db.query(`SELECT ${COLUMNS} FROM ab_test_rollouts WHERE ab_test_id = $1`, [testId])) as RolloutRow[];
    return rows[0] ? toRollout(rows[0]) : null;
  }

  async findMany(testIds: readonly string[]): Promise<Map<string, Rollout>> {
    if (testIds.length === 0) return new Map();
    const rows = (await this.dataSource.query(`SELECT ${COLUMNS} FROM ab_test_rollouts WHERE ab_test_id = ANY($1::uuid[])`, [testIds])) as RolloutRow[];
    return new Map(rows.map((row) => [row.ab_test_id, toRollout(row)]));
  }

  /** Rollouts in progress whose check is due at `now`, of tests that are active or completed (paused and draft tests wait). */
  async due(now: Date, limit: number): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT r.ab_test_id FROM ab_test_rollouts r JOIN ab_tests t ON t.id = r.ab_test_id
       WHERE r.state IN ('ramping', 'holding') AND t.status IN ('active', 'completed') AND (r.next_check_at IS NULL OR r.next_check_at <= $1)
       ORDER BY r.next_check_at NULLS FIRST LIMIT $2`,
      [now.toISOString(), limit],
    )) as Array<{ ab_test_id: string }>;
    return rows.map((row) => row.ab_test_id);
  }

  /**
   * The scheduler's claim on one rollout, inside its transaction: a per-test advisory lock
   * (ROLLOUT_LOCK_CLASS, hashtext(test id)) taken without waiting — another instance holding it is
   * acting on this rollout now, so this one skips it — then the row FOR UPDATE. Null when skipped.
   */
  async claim(tx: Tx, testId: string, lockClass: number): Promise<Rollout | null> {
    const [{ locked }] = (await managerOf(tx).query(`SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS locked`, [lockClass, testId])) as [{ locked: boolean }];
    if (!locked) return null;
    return this.findForUpdate(tx, testId);
  }

  async findForUpdate(tx: Tx, testId: string): Promise<Rollout | null> {
    const rows = (await managerOf(tx).query(`SELECT ${COLUMNS} FROM ab_test_rollouts WHERE ab_test_id = $1 FOR UPDATE`, [testId])) as RolloutRow[];
    return rows[0] ? toRollout(rows[0]) : null;
  }

  async update(tx: Tx, testId: string, update: RolloutUpdate): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [testId];
    const set = (column: string, value: unknown, cast = '') => {
      values.push(value);
      sets.push(`${column} = $${values.length}${cast}`);
    };
    if (update.currentStep !== undefined) set('current_step', update.currentStep);
    if (update.state !== undefined) set('state', update.state);
    if (update.stepStartedAt !== undefined) set('step_started_at', update.stepStartedAt?.toISOString() ?? null);
    if (update.nextCheckAt !== undefined) set('next_check_at', update.nextCheckAt?.toISOString() ?? null);
    if (update.stepBaseline !== undefined) set('step_baseline', update.stepBaseline === null ? null : JSON.stringify(update.stepBaseline), '::jsonb');
    if (sets.length === 0) return;
    await managerOf(tx).query(`UPDATE ab_test_rollouts SET ${sets.join(', ')}, updated_at = now() WHERE ab_test_id = $1`, values);
  }
}

function toRollout(row: RolloutRow): Rollout {
  return {
    testId: row.ab_test_id,
    steps: row.steps.map(Number),
    stepMinSeconds: row.step_min_seconds,
    stepMinRequests: row.step_min_requests,
    autoComplete: row.auto_complete,
    currentStep: row.current_step,
    state: row.state,
    stepStartedAt: row.step_started_at,
    nextCheckAt: row.next_check_at,
    stepBaseline: row.step_baseline,
    updatedAt: row.updated_at,
  };
}
