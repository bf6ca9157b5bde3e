import type { MigrationInterface } from 'typeorm';
import { ModelRegistry1764000000001 } from './1764000000001-model-registry.js';

/**
 * Migrations in the order they run. Listed explicitly (not globbed) so the compiled app, the CLI
 * and the test runner all see the same set. `npm run migration:generate -- Name` writes a new file
 * next to this one; add it at the end of this list.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [ModelRegistry1764000000001];
