import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { JsonLogger } from './common/logging/json-logger.js';
import { startDatabase } from './database/start-database.js';
import { resolveJwtSecret } from './auth/jwt-secret.js';
import { secretKey, signToken } from './auth/token-signer.js';
import { writeAdminTokenFile } from './auth/admin-token-file.js';
import { startBanner } from './start-banner.js';

const SHUTDOWN_DEADLINE_MS = 30_000;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel);
  Logger.overrideLogger(logger);
  const log = new Logger('Bootstrap');

  const database = await startDatabase(config, (message) => log.log(message));
  const stopDatabase = async (): Promise<void> => {
    if (database.embedded) {
      await database.embedded.stop();
      log.log('embedded PostgreSQL stopped');
    }
  };

  try {
    const secret = await resolveJwtSecret(config.jwtSecret, config.dataDir);
    if (secret.source !== 'environment') {
      log.log(`JWT_SECRET not set: using the secret ${secret.source === 'generated' ? 'just created' : 'kept'} in ${config.dataDir}/jwt-secret`);
    }
    const resolved = new AppConfig({ ...config, databaseUrl: database.url, jwtSecret: secret.secret });
    const app = await createApp(resolved, { logger });

    let stopping = false;
    const shutdown = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log.log(`${signal} received: finishing in-flight requests, flushing and stopping`);
      setTimeout(() => {
        log.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      let code = 0;
      try {
        // Stop accepting and let in-flight requests finish first, then run the modules' shutdown
        // hooks (buffers flush into a still-open pool), then close the pool, then the server.
        await app.getHttpAdapter().getInstance().close();
        await app.close();
      } catch (error) {
        code = 1;
        log.error(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      await stopDatabase().catch((error: unknown) => log.error(`stopping PostgreSQL failed: ${String(error)}`));
      log.log('stopped');
      process.exit(code);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));

    await app.listen({ port: resolved.port, host: resolved.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : resolved.port;
    const shownHost = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
    const url = `http://${shownHost}:${port}`;
    // The token file is logged before the URL: whoever waits for the URL line has both.
    let tokenFile: string | null = null;
    let token: string | null = null;
    if (resolved.nodeEnv !== 'production') {
      // Never into the log stream (anyone who reads logs would be admin): a 0600 file, and the terminal.
      token = signToken(secretKey(secret.secret), { sub: 'admin', roles: ['admin'], ttl: '30d', issuer: resolved.jwtIssuer, audience: resolved.jwtAudience });
      tokenFile = await writeAdminTokenFile(resolved.dataDir, token);
      log.log({ msg: `admin sign-in token (sub "admin", valid 30 days) written to ${tokenFile}`, admin_token_file: tokenFile });
    }
    log.log({ msg: `model-ab listening on ${url}${resolved.swaggerEnabled ? ` (Swagger UI: ${url}/docs)` : ''}`, url });
    // The human block ends the start, on stderr; the token itself only on a terminal (a captured
    // stderr is a log too), else where to read it.
    const dashboard = app.getHttpAdapter().getInstance().hasRoute({ method: 'GET', url: '/login' });
    process.stderr.write(
      startBanner({ url, adminToken: token, tokenFile, showToken: process.stderr.isTTY === true, dashboard, swagger: resolved.swaggerEnabled }),
    );
  } catch (error) {
    log.error(`start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await stopDatabase().catch(() => undefined);
    process.exit(1);
  }
}

process.on('unhandledRejection', (reason) => {
  new Logger('Process').error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
