import path from 'node:path';
import { isRole, ROLES, type Role } from '../auth/roles.js';
import { DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER } from '../auth/token-signer.js';
import { parseDuration } from './duration.js';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type DatabasePoolMode = 'session' | 'transaction';

/**
 * The whole typed configuration. Built once from the environment by `loadConfig`; this is the
 * only shape the rest of the code sees (nothing else reads process.env).
 */
export class AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  /** External PostgreSQL; null means "start the embedded one". May point at a pooler (see databasePoolMode). */
  databaseUrl: string | null;
  /**
   * The schema owner's URL, for migrations only (at start and `npm run migration:*`); null = run
   * them on databaseUrl. Lets the app's own role read and write rows without owning the schema.
   */
  databaseMigrationUrl: string | null;
  /**
   * A direct (session) connection to the same database for what a transaction pooler cannot carry:
   * LISTEN/NOTIFY, migrations and session advisory locks. null: the same as databaseUrl.
   */
  databaseDirectUrl: string | null;
  /**
   * `transaction`: databaseUrl is a pooler in transaction pooling (PgBouncer): no named prepared
   * statements are sent through it. `session`: a direct connection (or session pooling).
   */
  databasePoolMode: DatabasePoolMode;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolSize: number;
  jwtSecret: string | null;
  /** `iss` of the tokens this service signs (and requires on HS256 tokens). */
  jwtIssuer: string;
  /** `aud` of the tokens this service signs (and requires on HS256 tokens). */
  jwtAudience: string;
  /** Longest token lifetime accepted (exp − iat, in seconds), and the most the token CLI mints. */
  jwtMaxTtlSeconds: number;
  /** Tokens from an OpenID Connect provider (RS256/ES256 via its JWKS); null when off. */
  oidc: OidcConfig | null;
  /** Least time between two re-reads of the provider's keys caused by tokens with an unknown `kid`. */
  oidcJwksCooldownSeconds: number;
  logLevel: LogLevel;
  /** Share of requests logged (0 = none, 1 = all); per-request logs are off by default so hot paths stay fast. */
  logRequestsSampleRate: number;
  bodyLimitBytes: number;
  maxUploadBytes: number;
  metricsFlushMs: number;
  metricsBufferMaxKeys: number;
  assignmentCacheRefreshMs: number;
  /** Shadow comparisons waiting to run in-process; beyond this they are dropped and counted. */
  shadowQueueSize: number;
  /** How often the rollout scheduler looks for due rollout checks. */
  rolloutCheckMs: number;
  /** Bytes of the sticky-assignment cache of all running tests together (ASSIGNMENT_CACHE_MB). */
  assignmentCacheBytes: number;
  rateLimitWritesPerMinute: number;
  rateLimitServiceWritesPerMinute: number;
  corsOrigins: string[];
  /** Register the shipped example models on a first start with an empty registry. */
  seedExampleModels: boolean;
  /** Serve Swagger UI (/docs) and the OpenAPI document (/docs-json); default on outside production. */
  swaggerEnabled: boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <this token>`. */
  metricsToken: string | null;
  /** Distinct custom metric names per A/B test that get their own /metrics series; the rest count as `_other`. */
  prometheusCustomMetricsPerTest: number;
  /** Feedbacks one user token may give per hour (per instance); 0 = no limit. */
  feedbackPerUserPerHour: number;
  /** Minute-level metric rows older than this are deleted (hour and day roll-ups stay); 0 = keep. */
  metricsMinuteRetentionDays: number;
  /** Predictions older than this are deleted; 0 = keep. */
  predictionRetentionDays: number;
  /** Conversation messages older than this are deleted (and conversations left empty); 0 = keep. */
  messageRetentionDays: number;
  /** How often an instance offers to run the retention job (one instance runs it at a time). */
  retentionIntervalMs: number;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}

export interface OidcConfig {
  /** The provider's issuer URL, exactly as its tokens' `iss` (discovery: `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  /** The `aud` a token must carry to be accepted here. */
  audience: string;
  /** Dotted path of the claim holding the caller's roles (`roles`, `realm_access.roles`, `groups`). */
  rolesClaim: string;
  /** Provider role → model-ab role; null means provider roles named admin, service or user count as such. */
  roleMap: Record<string, Role> | null;
  /** Dashboard sign-in through the provider (authorization code + PKCE); null: the dashboard takes pasted tokens. */
  signIn: OidcSignInConfig | null;
}

/** The dashboard's client at the provider (OIDC_CLIENT_ID and friends). */
export interface OidcSignInConfig {
  clientId: string;
  /** Confidential client (client_secret_basic at the token endpoint); null: a public client, PKCE only. */
  clientSecret: string | null;
  /** Registered at the provider; null: `<origin of the request>/api/v1/auth/oidc/callback`. */
  redirectUri: string | null;
  /** `scope` of the authorization request. */
  scopes: string;
  /** Extra authorization request parameters (`audience` for Auth0, `resource`, `prompt`, …). */
  authorizeParams: Record<string, string>;
  /** Shown on the sign-in button: "Sign in with <name>". */
  providerName: string;
}

/** The path of the sign-in callback (OIDC_REDIRECT_URI must end with it). */
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** Authorization request parameters the service sets itself; OIDC_AUTHORIZE_PARAMS may not. */
const RESERVED_AUTHORIZE_PARAMS = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'response_mode'];
const OIDC_SIGN_IN_VARIABLES = ['OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI', 'OIDC_SCOPES', 'OIDC_AUTHORIZE_PARAMS', 'OIDC_PROVIDER_NAME'];

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

/** The connection for LISTEN/NOTIFY, migrations and advisory locks: DATABASE_DIRECT_URL, else DATABASE_URL. */
export function directDatabaseUrl(config: Pick<AppConfig, 'databaseUrl' | 'databaseDirectUrl'>): string {
  const url = config.databaseDirectUrl ?? config.databaseUrl;
  if (!url) throw new Error('the database URL must be resolved before a direct connection is opened');
  return url;
}

function duration(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const seconds = parseDuration(raw);
  if (seconds === null) throw new ConfigError(name, `must be a duration like 1h, 30d or a number of seconds, got "${raw}"`);
  if (seconds < min || seconds > max) throw new ConfigError(name, `must be between ${min} and ${max} seconds, got ${seconds}`);
  return seconds;
}

/** A claim value for `iss`/`aud`: printable, no spaces or commas (they would make it ambiguous). */
function claimValue(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  if (!/^[\x21-\x7e]{1,500}$/.test(raw) || raw.includes(',')) throw new ConfigError(name, `must be 1–500 printable characters without spaces or commas, got "${raw}"`);
  return raw;
}

function oidcConfig(env: Env, jwtIssuer: string, jwtAudience: string): OidcConfig | null {
  const issuer = read(env, 'OIDC_ISSUER');
  const others = ['OIDC_AUDIENCE', 'OIDC_ROLES_CLAIM', 'OIDC_ROLE_MAP', 'OIDC_CLIENT_ID', ...OIDC_SIGN_IN_VARIABLES].filter((name) => read(env, name) !== undefined);
  if (issuer === undefined) {
    if (others.length > 0) throw new ConfigError(others[0]!, 'needs OIDC_ISSUER');
    return null;
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError('OIDC_ISSUER', `must be the provider's issuer URL (https://…), got "${issuer}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new ConfigError('OIDC_ISSUER', `must use https:// (http:// only on loopback), got "${issuer}"`);
  }
  if (issuer === jwtIssuer) throw new ConfigError('OIDC_ISSUER', 'must differ from JWT_ISSUER (the issuer tells which key verifies a token)');
  const rolesClaim = read(env, 'OIDC_ROLES_CLAIM') ?? 'roles';
  if (!/^[A-Za-z0-9_:\-/]+(\.[A-Za-z0-9_:\-/]+)*$/.test(rolesClaim)) {
    throw new ConfigError('OIDC_ROLES_CLAIM', `must be a claim name or a dotted path such as realm_access.roles, got "${rolesClaim}"`);
  }
  return { issuer, audience: claimValue(env, 'OIDC_AUDIENCE', jwtAudience), rolesClaim, roleMap: roleMap(env), signIn: oidcSignIn(env, url) };
}

function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** OIDC_CLIENT_ID and the settings that only mean something with it. */
function oidcSignIn(env: Env, issuer: URL): OidcSignInConfig | null {
  const clientId = read(env, 'OIDC_CLIENT_ID');
  if (clientId === undefined) {
    const orphan = OIDC_SIGN_IN_VARIABLES.find((name) => read(env, name) !== undefined);
    if (orphan) throw new ConfigError(orphan, 'needs OIDC_CLIENT_ID');
    return null;
  }
  if (!/^[\x21-\x7e]{1,200}$/.test(clientId)) throw new ConfigError('OIDC_CLIENT_ID', `must be 1–200 printable characters without spaces, got "${clientId}"`);
  const clientSecret = read(env, 'OIDC_CLIENT_SECRET') ?? null;
  if (clientSecret !== null && !/^[\x20-\x7e]{1,500}$/.test(clientSecret)) throw new ConfigError('OIDC_CLIENT_SECRET', 'must be 1–500 printable characters');
  const redirectUri = read(env, 'OIDC_REDIRECT_URI') ?? null;
  if (redirectUri !== null) {
    let url: URL | null = null;
    try {
      url = new URL(redirectUri);
    } catch {
      // refused below
    }
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))) || url.pathname !== OIDC_CALLBACK_PATH || url.search || url.hash) {
      throw new ConfigError('OIDC_REDIRECT_URI', `must be this service's https:// URL (http:// only on loopback) ending in ${OIDC_CALLBACK_PATH}, got "${redirectUri}"`);
    }
  }
  const scopes = (read(env, 'OIDC_SCOPES') ?? 'openid').split(/\s+/).filter(Boolean);
  if (!scopes.every((scope) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) throw new ConfigError('OIDC_SCOPES', `must be scope names separated by spaces, got "${read(env, 'OIDC_SCOPES')}"`);
  const authorizeParams: Record<string, string> = {};
  const rawParams = read(env, 'OIDC_AUTHORIZE_PARAMS');
  if (rawParams !== undefined) {
    for (const [name, value] of new URLSearchParams(rawParams)) {
      if (!/^[a-z_]{1,50}$/.test(name) || !value) throw new ConfigError('OIDC_AUTHORIZE_PARAMS', `must look like name=value&other=value (URL-encoded), got "${rawParams}"`);
      if (RESERVED_AUTHORIZE_PARAMS.includes(name)) throw new ConfigError('OIDC_AUTHORIZE_PARAMS', `may not set ${name} (the service sets it)`);
      authorizeParams[name] = value;
    }
  }
  const providerName = read(env, 'OIDC_PROVIDER_NAME') ?? issuer.host;
  if (providerName.length > 60 || /\p{Cc}/u.test(providerName)) throw new ConfigError('OIDC_PROVIDER_NAME', 'must be at most 60 characters without control characters');
  return { clientId, clientSecret, redirectUri, scopes: scopes.join(' '), authorizeParams, providerName };
}

/** OIDC_ROLE_MAP: `provider-role=admin,another=service,…`. */
function roleMap(env: Env): Record<string, Role> | null {
  const raw = read(env, 'OIDC_ROLE_MAP');
  if (raw === undefined) return null;
  const map: Record<string, Role> = Object.create(null) as Record<string, Role>;
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    const from = entry.slice(0, at).trim();
    const to = entry.slice(at + 1).trim();
    if (at <= 0 || !from || !isRole(to)) {
      throw new ConfigError('OIDC_ROLE_MAP', `entries look like provider-role=${ROLES.join('|')}, separated by commas; got "${entry}"`);
    }
    map[from] = to;
  }
  if (Object.keys(map).length === 0) throw new ConfigError('OIDC_ROLE_MAP', 'maps no role');
  return map;
}

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
  const jwtIssuer = claimValue(env, 'JWT_ISSUER', DEFAULT_JWT_ISSUER);
  const jwtAudience = claimValue(env, 'JWT_AUDIENCE', DEFAULT_JWT_AUDIENCE);
  const host = read(env, 'HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError('HOST', `is not a host name or address: "${host}"`);
  const corsRaw = read(env, 'CORS_ORIGINS');
  const metricsToken = read(env, 'METRICS_TOKEN') ?? null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters long, without spaces');
  }
  const url = databaseUrl(env, 'DATABASE_URL');
  const directUrl = databaseUrl(env, 'DATABASE_DIRECT_URL');
  if (directUrl !== null && url === null) {
    throw new ConfigError('DATABASE_DIRECT_URL', 'needs DATABASE_URL (the pooled connection) to be set too');
  }
  const behindPooler = directUrl !== null && directUrl !== url;
  return new AppConfig({
    nodeEnv,
    port: integer(env, 'PORT', 3000, 0, 65535),
    host,
    databaseUrl: url,
    databaseMigrationUrl: databaseUrl(env, 'DATABASE_MIGRATION_URL'),
    databaseDirectUrl: directUrl,
    databasePoolMode: oneOf(env, 'DATABASE_POOL_MODE', ['session', 'transaction'] as const, behindPooler ? 'transaction' : 'session'),
    dataDir: path.resolve(cwd, read(env, 'DATA_DIR') ?? './data'),
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 20, 1, 500),
    jwtSecret,
    jwtIssuer,
    jwtAudience,
    jwtMaxTtlSeconds: duration(env, 'JWT_MAX_TTL', 30 * 86_400, 60, 366 * 86_400),
    oidc: oidcConfig(env, jwtIssuer, jwtAudience),
    oidcJwksCooldownSeconds: integer(env, 'OIDC_JWKS_REFRESH_COOLDOWN', 30, 1, 86_400),
    logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, 'info'),
    logRequestsSampleRate: ratio(env, 'LOG_REQUESTS_SAMPLE_RATE', 0),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 5 * MB, 1024, 1024 * MB),
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 200 * MB, 1024, 16 * 1024 * MB),
    metricsFlushMs: integer(env, 'METRICS_FLUSH_MS', 1000, 10, 3_600_000),
    metricsBufferMaxKeys: integer(env, 'METRICS_BUFFER_MAX_KEYS', 100_000, 10, 10_000_000),
    assignmentCacheRefreshMs: integer(env, 'ASSIGNMENT_CACHE_REFRESH_MS', 5000, 100, 3_600_000),
    shadowQueueSize: integer(env, 'SHADOW_QUEUE_SIZE', 1000, 1, 1_000_000),
    rolloutCheckMs: integer(env, 'ROLLOUT_CHECK_MS', 5000, 50, 3_600_000),
    assignmentCacheBytes: integer(env, 'ASSIGNMENT_CACHE_MB', 64, 1, 65_536) * MB,
    rateLimitWritesPerMinute: integer(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 6000, 0, 10_000_000),
    rateLimitServiceWritesPerMinute: integer(env, 'RATE_LIMIT_SERVICE_WRITES_PER_MINUTE', 600_000, 0, 100_000_000),
    corsOrigins: corsRaw ? corsRaw.split(',').map((origin) => origin.trim()).filter(Boolean) : [],
    seedExampleModels: boolean(env, 'SEED_EXAMPLE_MODELS', true),
    swaggerEnabled: boolean(env, 'SWAGGER_ENABLED', nodeEnv !== 'production'),
    metricsToken,
    prometheusCustomMetricsPerTest: integer(env, 'PROMETHEUS_CUSTOM_METRICS_PER_TEST', 20, 1, 1000),
    feedbackPerUserPerHour: integer(env, 'FEEDBACK_PER_USER_PER_HOUR', 60, 0, 1_000_000),
    metricsMinuteRetentionDays: integer(env, 'METRICS_MINUTE_RETENTION_DAYS', 30, 0, 36_500),
    predictionRetentionDays: integer(env, 'PREDICTION_RETENTION_DAYS', 90, 0, 36_500),
    messageRetentionDays: integer(env, 'MESSAGE_RETENTION_DAYS', 90, 0, 36_500),
    retentionIntervalMs: integer(env, 'RETENTION_INTERVAL_MS', 3_600_000, 1000, 86_400_000),
  });
}
