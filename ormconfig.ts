import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options.js';

/**
 * The DataSource for the TypeORM CLI and tooling, on DATABASE_URL. The app builds its own from the
 * same `dataSourceOptions`; `npm run migration:*` also handles the embedded PostgreSQL.
 */
export default new DataSource(dataSourceOptions({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/model_ab' }));
