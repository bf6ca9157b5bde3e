import { abTestNotFound } from '../../common/errors/ab-test-not-found.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { closestNames } from '../../common/text/closest-names.js';
import type { AbTestStatus, LifecycleAction } from './lifecycle/lifecycle.js';
import { MAX_USER_ID_LENGTH } from '../../common/validation/user-id.js';

/** Errors of the A/B tests module; `code` is stable (clients switch on it). */
export class AbTestError extends DomainError {
  /** The one AB_TEST_NOT_FOUND, shared with the metrics module (common/errors/ab-test-not-found.ts). */
  static notFound(id: string): DomainError {
    return abTestNotFound(id);
  }

  static invalidTransition(id: string, status: AbTestStatus, action: LifecycleAction, allowed: readonly LifecycleAction[]): AbTestError {
    const verb = action === 'change_traffic_split' ? 'change the traffic split of' : action;
    const hint = allowed.length > 0 ? `; from ${status} it can: ${allowed.join(', ')}` : '';
    return new AbTestError('INVALID_TRANSITION', `Cannot ${verb} A/B test ${id}: it is ${status}${hint}`, {
      test_id: id,
      current_status: status,
      action,
      allowed_actions: [...allowed],
    });
  }

  static anotherTestRunning(modelType: string, other: { id: string; name: string; status: string } | null): AbTestError {
    const which = other ? `A/B test ${other.id} ("${other.name}") is already ${other.status}` : 'another A/B test is already active or paused';
    return new AbTestError(
      'AB_TEST_ALREADY_RUNNING',
      `Cannot start: ${which} for model type "${modelType}"; complete it first`,
      other ? { model_type: modelType, other_test_id: other.id, other_test_status: other.status } : { model_type: modelType },
    );
  }

  static invalidTrafficSplit(problems: string[]): AbTestError {
    return new AbTestError('INVALID_TRAFFIC_SPLIT', problems.join('; '), { problems });
  }

  static identicalVariants(version: string): AbTestError {
    return new AbTestError('IDENTICAL_VARIANTS', `variant_a and variant_b must be different model versions, both are "${version}"`);
  }

  static duplicateMetric(name: string): AbTestError {
    return new AbTestError('DUPLICATE_METRIC', `metrics declares "${name}" more than once`);
  }

  /** Metric events for a test that does not record them (draft: not started; completed: results frozen). */
  static notRecording(id: string, status: AbTestStatus): AbTestError {
    const why = status === 'completed' ? 'its results are frozen' : 'it has not started';
    return new AbTestError('AB_TEST_NOT_RECORDING', `A/B test ${id} is ${status} (${why}): metrics are accepted while it is active or paused`, {
      test_id: id,
      current_status: status,
    });
  }

  static promoteRequiresWinner(): AbTestError {
    return new AbTestError('PROMOTE_REQUIRES_WINNER', 'promote: true needs a winner ("a" or "b")');
  }

  /** `registered`: every model type name; the closest ones are suggested. */
  static modelTypeNotFound(modelType: string, registered: readonly string[] = []): AbTestError {
    const suggestions = closestNames(modelType, registered);
    const hint =
      suggestions.length > 0
        ? `; did you mean ${suggestions.join(' or ')}?`
        : registered.length > 0
          ? `; registered: ${registered.slice(0, 10).join(', ')}`
          : '; none is registered yet (POST /api/v1/models)';
    return new AbTestError('UNKNOWN_MODEL_TYPE', `Model type "${modelType}" is not registered${hint}`, {
      model_type: modelType,
      suggestions: suggestions.length > 0 ? suggestions : registered.slice(0, 10),
    });
  }

  /** `usable`: the versions of the model type that are not archived; the closest come first. */
  static versionNotFound(field: 'variant_a' | 'variant_b', modelType: string, version: string, usable: readonly string[] = []): AbTestError {
    const closest = closestNames(version, usable);
    const suggestions = [...closest, ...usable.filter((v) => !closest.includes(v))].slice(0, 10);
    const hint =
      closest.length > 0
        ? `; did you mean ${closest.join(' or ')}?`
        : suggestions.length > 0
          ? `; usable versions: ${suggestions.join(', ')}`
          : '; it has no usable version (register one with POST /api/v1/models/{model_type}/versions)';
    return new AbTestError('UNKNOWN_MODEL_VERSION', `${field}: model version "${version}" of "${modelType}" does not exist${hint}`, {
      field,
      model_type: modelType,
      version,
      suggestions,
    });
  }

  static versionArchived(field: 'variant_a' | 'variant_b', modelType: string, version: string): AbTestError {
    return new AbTestError('MODEL_VERSION_ARCHIVED', `${field}: model version "${version}" of "${modelType}" is archived`, {
      field,
      model_type: modelType,
      version,
    });
  }

  static noModelVersion(modelType: string): AbTestError {
    return new AbTestError(
      'NO_MODEL_VERSION',
      `Model type "${modelType}" has no running A/B test and no production version`,
      { model_type: modelType },
    );
  }

  static assignmentUnavailable(modelType: string): AbTestError {
    return new AbTestError('ASSIGNMENT_UNAVAILABLE', `The A/B test of "${modelType}" kept changing state; try again`, { model_type: modelType });
  }

  static invalidUserId(): AbTestError {
    return new AbTestError('INVALID_USER_ID', `The user id must be 1 to ${MAX_USER_ID_LENGTH} characters`);
  }

  static invalidTestMode(problem: string): AbTestError {
    return new AbTestError('INVALID_TEST_MODE', problem);
  }

  static invalidRollout(problems: string[]): AbTestError {
    return new AbTestError('INVALID_ROLLOUT', problems.join('; '), { problems });
  }

  static notAShadowTest(id: string): AbTestError {
    return new AbTestError('NOT_A_SHADOW_TEST', `A/B test ${id} is not a shadow test`, { test_id: id });
  }

  static comparisonsNeedShadowTest(id: string): AbTestError {
    return new AbTestError('NOT_A_SHADOW_TEST', `A/B test ${id} is not a shadow test: comparison events are accepted by shadow tests only`, { test_id: id });
  }

  static shadowNotReady(id: string, decision: string, reasons: string[]): AbTestError {
    return new AbTestError('SHADOW_NOT_READY', `Shadow test ${id} is not ready_for_ab (${decision}): ${reasons.join('; ')}`, {
      test_id: id,
      decision,
      reasons,
    });
  }
}
