/**
 * The server side of bench/inference.ts: the compiled application (dist/, with the decorator
 * metadata Nest needs, exactly what `npm start` runs) listening on DATABASE_URL, plus a tiny
 * control channel so the bench can read this process's counters without adding a route to the
 * app: a line "sample" on stdin prints one JSON line on stdout with the per-phase classification
 * timings and this process's CPU time. Logs go to stderr.
 *
 *   taskset -c 0 node --import tsx bench/inference-server.ts   (env: DATABASE_URL, JWT_SECRET, PORT)
 */
import 'reflect-metadata';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { createApp as CreateApp } from '../src/app.js';
import type * as ConfigModule from '../src/config/app-config.js';
import type { JsonLogger as JsonLoggerClass } from '../src/common/logging/json-logger.js';
import type { phaseTimings as PhaseTimingsFn } from '../src/modules/predictions/phase-timings.js';

const dist = (file: string) => pathToFileURL(path.resolve('dist/src', file)).href;

async function main(): Promise<void> {
  const { createApp } = (await import(dist('app.js'))) as { createApp: typeof CreateApp };
  const { AppConfig, loadConfig } = (await import(dist('config/app-config.js'))) as typeof ConfigModule;
  const { JsonLogger } = (await import(dist('common/logging/json-logger.js'))) as { JsonLogger: typeof JsonLoggerClass };
  const { phaseTimings } = (await import(dist('modules/predictions/phase-timings.js'))) as { phaseTimings: typeof PhaseTimingsFn };

  const config = loadConfig(process.env);
  const resolved = new AppConfig({ ...config, databaseUrl: config.databaseUrl, jwtSecret: config.jwtSecret });
  const app = await createApp(resolved, { logger: new JsonLogger(resolved.logLevel, (line) => process.stderr.write(line)) });
  await app.listen({ port: resolved.port, host: resolved.host });

  const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);
  send({ event: 'ready', url: `http://${resolved.host}:${resolved.port}` });

  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'sample') {
      const cpu = process.cpuUsage();
      send({ event: 'sample', phases: phaseTimings().snapshot(), cpu_ms: (cpu.user + cpu.system) / 1000 });
    }
  });
  const stop = async () => {
    lines.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
