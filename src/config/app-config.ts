import path from 'node:path';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The whole typed configuration. Built once from the environment by `loadConfig`; this is the
 * only shape the rest of the code sees (nothing else reads process.env).
 */
export class AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  /** External PostgreSQL; null means "start the embedded one". */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolSize: number;
  jwtSecret: string | null;
  logLevel: LogLevel;
  /** Share of requests logged (0 = none, 1 = all); per-request logs are off by default so hot paths stay fast. */
  logRequestsSampleRate: number;
  bodyLimitBytes: number;
  maxUploadBytes: number;
  metricsFlushMs: number;
  metricsBufferMaxKeys: number;
  assignmentCacheRefreshMs: number;
  /** Bytes of the sticky-assignment cache of all running tests together (ASSIGNMENT_CACHE_MB). */
  assignmentCacheBytes: number;
  rateLimitWritesPerMinute: number;
  rateLimitServiceWritesPerMinute: number;
  corsOrigins: string[];
  /** Register the shipped example models on a first start with an empty registry. */
  seedExampleModels: boolean;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}

/** A bad configuration value: the message is one line that names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function ratio(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(name, `must be a number from 0 to 1, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function databaseUrl(env: Env, name: string): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL like postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must use the postgres:// scheme, got "${url.protocol}"`);
  }
  return raw;
}

const MB = 1024 * 1024;

/** Reads and validates the environment. Throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const jwtSecret = read(env, 'JWT_SECRET') ?? null;
  if (jwtSecret !== null && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters long');
  }
  if (jwtSecret === null && nodeEnv === 'production') {
    throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
  }
  const host = read(env, 'HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError('HOST', `is not a host name or address: "${host}"`);
  const corsRaw = read(env, 'CORS_ORIGINS');
  return new AppConfig({
    nodeEnv,
    port: integer(env, 'PORT', 3000, 0, 65535),
    host,
    databaseUrl: databaseUrl(env, 'DATABASE_URL'),
    dataDir: path.resolve(cwd, read(env, 'DATA_DIR') ?? './data'),
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 20, 1, 500),
    jwtSecret,
    logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, 'info'),
    logRequestsSampleRate: ratio(env, 'LOG_REQUESTS_SAMPLE_RATE', 0),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 5 * MB, 1024, 1024 * MB),
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 200 * MB, 1024, 16 * 1024 * MB),
    metricsFlushMs: integer(env, 'METRICS_FLUSH_MS', 1000, 10, 3_600_000),
    metricsBufferMaxKeys: integer(env, 'METRICS_BUFFER_MAX_KEYS', 100_000, 10, 10_000_000),
    assignmentCacheRefreshMs: integer(env, 'ASSIGNMENT_CACHE_REFRESH_MS', 5000, 100, 3_600_000),
    assignmentCacheBytes: integer(env, 'ASSIGNMENT_CACHE_MB', 64, 1, 65_536) * MB,
    rateLimitWritesPerMinute: integer(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 6000, 0, 10_000_000),
    rateLimitServiceWritesPerMinute: integer(env, 'RATE_LIMIT_SERVICE_WRITES_PER_MINUTE', 600_000, 0, 100_000_000),
    corsOrigins: corsRaw ? corsRaw.split(',').map((origin) => origin.trim()).filter(Boolean) : [],
    seedExampleModels: boolean(env, 'SEED_EXAMPLE_MODELS', true),
  });
}
