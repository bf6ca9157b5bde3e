import type { MigrationInterface } from 'typeorm';
import { ModelRegistry1764000000001 } from './1764000000001-model-registry.js';
import { AbTests1764000000002 } from './1764000000002-ab-tests.js';
import { Metrics1764000000003 } from './1764000000003-metrics.js';
import { ConversationsPredictions1764000000004 } from './1764000000004-conversations-predictions.js';
import { ShadowTestsAndRollouts1764000000014 } from './1764000000014-shadow-tests-and-rollouts.js';
import { ModelArtifactsInPostgres1764000000155 } from './1764000000155-model-artifacts-in-postgres.js';
import { Retention1764000000156 } from './1764000000156-retention.js';
import { AssignmentCounts1764000000157 } from './1764000000157-assignment-counts.js';
import { AssignmentNaturalKey1764000000158 } from './1764000000158-assignment-natural-key.js';

/**
 * Migrations in the order they run. Listed explicitly (not globbed) so the compiled app, the CLI
 * and the test runner all see the same set. `npm run migration:generate -- Name` writes a new file
 * next to this one; add it at the end of this list.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [ModelRegistry1764000000001, AbTests1764000000002, Metrics1764000000003, ConversationsPredictions1764000000004, ShadowTestsAndRollouts1764000000014, ModelArtifactsInPostgres1764000000155, Retention1764000000156, AssignmentCounts1764000000157, AssignmentNaturalKey1764000000158];
