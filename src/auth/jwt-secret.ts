import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const JWT_SECRET_FILE = 'jwt-secret';

export interface ResolvedSecret {
  secret: string;
  /** Where it came from, for the start-up log. */
  source: 'environment' | 'file' | 'generated';
}

/**
 * JWT_SECRET when set; otherwise (outside production, which loadConfig already refuses) the secret
 * kept in DATA_DIR/jwt-secret, created on first start so tokens survive restarts.
 */
export async function resolveJwtSecret(configured: string | null, dataDir: string): Promise<ResolvedSecret> {
  if (configured) return { secret: configured, source: 'environment' };
  const file = path.join(dataDir, JWT_SECRET_FILE);
  try {
    const secret = (await fs.readFile(file, 'utf8')).trim();
    if (secret.length >= 32) return { secret, source: 'file' };
  } catch {
    // not created yet
  }
  const secret = randomBytes(48).toString('base64url');
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, secret, { mode: 0o600 });
  return { secret, source: 'generated' };
}
