import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('has working defaults for an empty environment', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: null,
      dataDir: '/srv/app/data',
      jwtSecret: null,
      logLevel: 'info',
      logRequestsSampleRate: 0,
      metricsFlushMs: 1000,
      corsOrigins: [],
      seedExampleModels: true,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        DATABASE_URL: 'postgres://u:p@db:5432/x',
        DATA_DIR: '/var/lib/model-ab',
        JWT_SECRET: 's'.repeat(40),
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        LOG_REQUESTS_SAMPLE_RATE: '0.01',
        CORS_ORIGINS: 'https://a.example, https://b.example',
        SEED_EXAMPLE_MODELS: 'false',
      },
      '/srv/app',
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/x',
      dataDir: '/var/lib/model-ab',
      nodeEnv: 'production',
      logLevel: 'warn',
      logRequestsSampleRate: 0.01,
      corsOrigins: ['https://a.example', 'https://b.example'],
      seedExampleModels: false,
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number, got "abc"'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV must be one of development, production, test, got "staging"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of error, warn, info, debug, got "loud"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use the postgres:// scheme, got "mysql:"'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL must be a URL like postgres://user:password@host:5432/database'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters long'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET is required when NODE_ENV=production'],
    [{ LOG_REQUESTS_SAMPLE_RATE: '2' }, 'LOG_REQUESTS_SAMPLE_RATE must be a number from 0 to 1, got "2"'],
    [{ SEED_EXAMPLE_MODELS: 'maybe' }, 'SEED_EXAMPLE_MODELS must be true or false, got "maybe"'],
    [{ METRICS_FLUSH_MS: '1' }, 'METRICS_FLUSH_MS must be between 10 and 3600000, got 1'],
  ])('rejects %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(`Invalid configuration: ${message}`);
  });
});

describe('token settings', () => {
  it('defaults: issuer and audience model-ab, 30-day lifetime cap, no OIDC', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({ jwtIssuer: 'model-ab', jwtAudience: 'model-ab', jwtMaxTtlSeconds: 30 * 86_400, oidc: null });
  });

  it('reads the OIDC settings, the role map and the lifetime cap', () => {
    const config = loadConfig(
      {
        JWT_MAX_TTL: '1h',
        OIDC_ISSUER: 'https://login.example/realms/ml',
        OIDC_AUDIENCE: 'model-ab-api',
        OIDC_ROLES_CLAIM: 'realm_access.roles',
        OIDC_ROLE_MAP: 'ml-admin=admin, ml-service=service,ml-user=user',
      },
      '/srv',
    );
    expect(config.jwtMaxTtlSeconds).toBe(3600);
    expect(config.oidc).toEqual({
      issuer: 'https://login.example/realms/ml',
      audience: 'model-ab-api',
      rolesClaim: 'realm_access.roles',
      roleMap: { 'ml-admin': 'admin', 'ml-service': 'service', 'ml-user': 'user' },
    });
  });

  it.each([
    [{ JWT_MAX_TTL: '100y' }, 'JWT_MAX_TTL must be between'],
    [{ JWT_MAX_TTL: 'forever' }, 'JWT_MAX_TTL must be a duration'],
    [{ JWT_AUDIENCE: 'a b' }, 'JWT_AUDIENCE must be 1–500 printable characters'],
    [{ OIDC_AUDIENCE: 'x' }, 'OIDC_AUDIENCE needs OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'http://login.example' }, 'OIDC_ISSUER must use https://'],
    [{ OIDC_ISSUER: 'not a url' }, "OIDC_ISSUER must be the provider's issuer URL"],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_ROLE_MAP: 'x=root' }, 'OIDC_ROLE_MAP entries look like'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_ROLES_CLAIM: 'a..b' }, 'OIDC_ROLES_CLAIM must be a claim name'],
  ])('%j is refused', (env, message) => {
    expect(() => loadConfig(env, '/srv')).toThrow(message);
  });
});
