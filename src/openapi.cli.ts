import 'reflect-metadata';
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildOpenApiDocument, createApp } from './app.js';
import { AppConfig, loadConfig } from './config/app-config.js';

/** The OpenAPI document as the code declares it, in the stable form committed as openapi.json. */
export async function generateOpenApi(): Promise<string> {
  const config = new AppConfig({
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'error' }),
    databaseUrl: 'postgres://unused@127.0.0.1:1/unused',
    jwtSecret: 'x'.repeat(32),
  });
  const app = await createApp(config, { logger: false, preview: true });
  try {
    return JSON.stringify(buildOpenApiDocument(app), null, 2) + '\n';
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const target = path.resolve(process.argv[2] ?? 'openapi.json');
  await fs.writeFile(target, await generateOpenApi());
  console.log(`wrote ${target}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
}
