import fs from 'node:fs/promises';
import path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Writes the development sign-in token to DATA_DIR/admin-token, readable by the owner only (0600,
 * also when the file existed with wider permissions), and returns its path.
 */
export async function writeAdminTokenFile(dataDir: string, token: string): Promise<string> {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  await fs.mkdir(dataDir, { recursive: true });
  await fs.rm(file, { force: true });
  await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}
