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
      databaseDirectUrl: null,
      databasePoolMode: 'session',
      metricsMinuteRetentionDays: 30,
      predictionRetentionDays: 90,
      messageRetentionDays: 90,
      retentionIntervalMs: 3_600_000,
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
        DATABASE_DIRECT_URL: 'postgres://u:p@db-direct:5432/x',
        METRICS_MINUTE_RETENTION_DAYS: '7',
        PREDICTION_RETENTION_DAYS: '0',
        MESSAGE_RETENTION_DAYS: '30',
        RETENTION_INTERVAL_MS: '60000',
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
      databaseDirectUrl: 'postgres://u:p@db-direct:5432/x',
      // A separate direct URL means DATABASE_URL is a pooler: transaction pooling unless told otherwise.
      databasePoolMode: 'transaction',
      metricsMinuteRetentionDays: 7,
      predictionRetentionDays: 0,
      messageRetentionDays: 30,
      retentionIntervalMs: 60_000,
    });
  });

  it('DATABASE_POOL_MODE overrides the default the URLs suggest', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@bouncer:6432/x', DATABASE_POOL_MODE: 'transaction' }).databasePoolMode).toBe('transaction');
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@bouncer:6432/x', DATABASE_DIRECT_URL: 'postgres://u:p@db:5432/x', DATABASE_POOL_MODE: 'session' }).databasePoolMode).toBe('session');
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', DATABASE_DIRECT_URL: 'postgres://u:p@db:5432/x' }).databasePoolMode).toBe('session');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number, got "abc"'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV must be one of development, production, test, got "staging"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of error, warn, info, debug, got "loud"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use the postgres:// scheme, got "mysql:"'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL must be a URL like postgres://user:password@host:5432/database'],
    [{ DATABASE_DIRECT_URL: 'postgres://u:p@db:5432/x' }, 'DATABASE_DIRECT_URL needs DATABASE_URL (the pooled connection) to be set too'],
    [{ DATABASE_URL: 'postgres://u:p@db:5432/x', DATABASE_DIRECT_URL: 'http://x' }, 'DATABASE_DIRECT_URL must use the postgres:// scheme, got "http:"'],
    [{ DATABASE_POOL_MODE: 'statement' }, 'DATABASE_POOL_MODE must be one of session, transaction, got "statement"'],
    [{ METRICS_MINUTE_RETENTION_DAYS: '-1' }, 'METRICS_MINUTE_RETENTION_DAYS must be between 0 and 36500, got -1'],
    [{ PREDICTION_RETENTION_DAYS: 'soon' }, 'PREDICTION_RETENTION_DAYS must be a whole number, got "soon"'],
    [{ RETENTION_INTERVAL_MS: '10' }, 'RETENTION_INTERVAL_MS must be between 1000 and 86400000, got 10'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters long'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET is required when NODE_ENV=production'],
    [{ LOG_REQUESTS_SAMPLE_RATE: '2' }, 'LOG_REQUESTS_SAMPLE_RATE must be a number from 0 to 1, got "2"'],
    [{ SEED_EXAMPLE_MODELS: 'maybe' }, 'SEED_EXAMPLE_MODELS must be true or false, got "maybe"'],
    [{ METRICS_FLUSH_MS: '1' }, 'METRICS_FLUSH_MS must be between 10 and 3600000, got 1'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 characters long, without spaces'],
    [{ SWAGGER_ENABLED: 'sometimes' }, 'SWAGGER_ENABLED must be true or false, got "sometimes"'],
    [{ FEEDBACK_PER_USER_PER_HOUR: '-1' }, 'FEEDBACK_PER_USER_PER_HOUR must be between 0 and 1000000, got -1'],
  ])('rejects %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(`Invalid configuration: ${message}`);
  });

  it('serves Swagger outside production only, unless SWAGGER_ENABLED says otherwise; /metrics is public unless METRICS_TOKEN is set', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40) };
    expect(loadConfig({}).swaggerEnabled).toBe(true);
    expect(loadConfig(production).swaggerEnabled).toBe(false);
    expect(loadConfig({ ...production, SWAGGER_ENABLED: 'true' }).swaggerEnabled).toBe(true);
    expect(loadConfig({ SWAGGER_ENABLED: 'false' }).swaggerEnabled).toBe(false);
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
    expect(loadConfig({})).toMatchObject({ feedbackPerUserPerHour: 60, prometheusCustomMetricsPerTest: 20, databaseMigrationUrl: null });
    expect(loadConfig({ DATABASE_MIGRATION_URL: 'postgres://owner:pw@db/x' }).databaseMigrationUrl).toBe('postgres://owner:pw@db/x');
    expect(() => loadConfig({ DATABASE_MIGRATION_URL: 'mysql://x' })).toThrow('DATABASE_MIGRATION_URL must use the postgres:// scheme');
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
      signIn: null,
    });
  });

  it('reads the dashboard sign-in through the provider (OIDC_CLIENT_ID and its settings)', () => {
    const issuer = { OIDC_ISSUER: 'https://login.example/realms/ml' };
    expect(loadConfig({ ...issuer, OIDC_CLIENT_ID: 'model-ab-dashboard' }).oidc?.signIn).toEqual({
      clientId: 'model-ab-dashboard',
      clientSecret: null,
      redirectUri: null,
      scopes: 'openid',
      authorizeParams: {},
      providerName: 'login.example',
    });
    const full = loadConfig({
      ...issuer,
      OIDC_CLIENT_ID: 'model-ab-dashboard',
      OIDC_CLIENT_SECRET: 's3cret value',
      OIDC_REDIRECT_URI: 'https://ab.example/api/v1/auth/oidc/callback',
      OIDC_SCOPES: ' openid  profile api ',
      OIDC_AUTHORIZE_PARAMS: 'audience=https%3A%2F%2Fmodel-ab&prompt=login',
      OIDC_PROVIDER_NAME: 'Example SSO',
    }).oidc?.signIn;
    expect(full).toEqual({
      clientId: 'model-ab-dashboard',
      clientSecret: 's3cret value',
      redirectUri: 'https://ab.example/api/v1/auth/oidc/callback',
      scopes: 'openid profile api',
      authorizeParams: { audience: 'https://model-ab', prompt: 'login' },
      providerName: 'Example SSO',
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
    [{ OIDC_CLIENT_ID: 'x' }, 'OIDC_CLIENT_ID needs OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_SECRET: 'x' }, 'OIDC_CLIENT_SECRET needs OIDC_CLIENT_ID'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_ID: 'a b' }, 'OIDC_CLIENT_ID must be 1–200 printable characters'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_ID: 'x', OIDC_REDIRECT_URI: 'http://ab.example/api/v1/auth/oidc/callback' }, 'OIDC_REDIRECT_URI must be'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_ID: 'x', OIDC_REDIRECT_URI: 'https://ab.example/callback' }, 'OIDC_REDIRECT_URI must be'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_ID: 'x', OIDC_AUTHORIZE_PARAMS: 'state=fixed' }, 'OIDC_AUTHORIZE_PARAMS may not set state'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_ID: 'x', OIDC_AUTHORIZE_PARAMS: 'audience' }, 'OIDC_AUTHORIZE_PARAMS must look like'],
    [{ OIDC_ISSUER: 'https://a.example', OIDC_CLIENT_ID: 'x', OIDC_SCOPES: 'openid "x"' }, 'OIDC_SCOPES must be scope names'],
  ])('%j is refused', (env, message) => {
    expect(() => loadConfig(env, '/srv')).toThrow(message);
  });
});
