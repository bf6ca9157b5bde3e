import 'reflect-metadata';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/app-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { runMigrationsLocked } from './database/run-migrations.js';
import { startDatabase } from './database/start-database.js';
import { ENTITIES } from './entities.js';

const usage = `Usage:
  npm run migration:run                 apply pending migrations
  npm run migration:revert              undo the last applied migration
  npm run migration:generate -- <Name>  write src/database/migrations/<timestamp>-<name>.ts from the entity/schema difference
Uses DATABASE_MIGRATION_URL (the schema owner), else DATABASE_DIRECT_URL, else DATABASE_URL, or the embedded PostgreSQL in DATA_DIR when none is set.`;

function migrationSource(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) => queries.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (!command || !['run', 'revert', 'generate'].includes(command)) throw new Error(usage);
  if (command === 'generate' && (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name))) {
    throw new Error(`migration:generate needs a PascalCase name, e.g. npm run migration:generate -- AddPredictions\n${usage}`);
  }
  const config = loadConfig();
  const database = await startDatabase(config, (message) => console.log(message));
  // Migrations take a session advisory lock: as the schema owner when configured, else on DATABASE_DIRECT_URL, never through a transaction pooler.
  const dataSource = await new DataSource(dataSourceOptions({ url: config.databaseMigrationUrl ?? config.databaseDirectUrl ?? database.url, poolSize: 2, entities: ENTITIES })).initialize();
  try {
    if (command === 'run') {
      const applied = await runMigrationsLocked(dataSource);
      console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
    } else if (command === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else {
      await runMigrationsLocked(dataSource);
      const sql = await dataSource.driver.createSchemaBuilder().log();
      if (sql.upQueries.length === 0) {
        console.log('the schema matches the entities: nothing to generate');
        return;
      }
      const timestamp = Date.now();
      const className = `${name}${timestamp}`;
      const up = sql.upQueries.map((q) => q.query);
      const down = sql.downQueries.map((q) => q.query).reverse();
      const kebab = name!.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
      const file = path.resolve('src/database/migrations', `${timestamp}-${kebab}.ts`);
      await fs.writeFile(file, migrationSource(className, up, down));
      console.log(`wrote ${file}\nRead it, then add ${className} to the list in src/database/migrations/index.ts`);
    }
  } finally {
    await dataSource.destroy();
    await database.embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
});
