/**
 * Stages of a model version and the rule that keeps at most one production version per model
 * type. Pure: the service locks the rows, asks `planStageChange` what to write, and writes it.
 */
export const STAGES = ['none', 'staging', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export interface VersionStage {
  id: string;
  version: string;
  stage: Stage;
}

export interface PlannedStageChange {
  id: string;
  version: string;
  from: Stage;
  to: Stage;
  /** Why a version other than the requested one changed stage. */
  reason: string | null;
}

/**
 * The stage changes that move `target` to `to`, in the order they must be written.
 *
 * - Moving a version to the stage it already has changes nothing (promotion is idempotent, so a
 *   retried request or an A/B test completing on the version already in production is harmless).
 * - Promoting to production archives the current production version first (the partial unique
 *   index allows one production row per model type at any instant).
 * - Every other move is allowed, including archived → production (a rollback) and taking the
 *   production version out of production (the model type then has none until one is promoted).
 */
export function planStageChange(target: VersionStage, to: Stage, currentProduction: VersionStage | null): PlannedStageChange[] {
  if (target.stage === to) return [];
  const changes: PlannedStageChange[] = [];
  if (to === 'production' && currentProduction && currentProduction.id !== target.id) {
    changes.push({
      id: currentProduction.id,
      version: currentProduction.version,
      from: currentProduction.stage,
      to: 'archived',
      reason: `replaced in production by ${target.version}`,
    });
  }
  changes.push({ id: target.id, version: target.version, from: target.stage, to, reason: null });
  return changes;
}
