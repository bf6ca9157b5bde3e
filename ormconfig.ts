import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { ENTITIES } from './src/entities.js';

/**
 * The DataSource for the TypeORM CLI and tooling, on DATABASE_URL, with every module's entities. The
 * app builds its own from the same `dataSourceOptions` (each module registering its entities);
 * `npm run migration:*` also handles the embedded PostgreSQL.
 */
export default new DataSource(dataSourceOptions({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/model_ab', entities: ENTITIES }));
