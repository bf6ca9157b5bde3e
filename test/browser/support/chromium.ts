import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const INSTALL_HINT = 'install it with `apt-get install -y chromium` or set CHROMIUM_PATH';

/** Debian's Chromium (Playwright's own download cannot work here): CHROMIUM_PATH, else chromium on PATH. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'chromium')), '/usr/bin/chromium'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * The browser tests run when a Chromium is found. Without one they are skipped with one line
 * saying how to get it — except in CI (CI=true), where a missing browser is a failure.
 */
export function chromiumOrSkip(): { path: string | null; skipReason: string | null } {
  const found = findChromium();
  if (found) return { path: found, skipReason: null };
  if (process.env.CI === 'true') throw new Error(`CI=true and no Chromium found for the browser tests: ${INSTALL_HINT}`);
  return { path: null, skipReason: `[browser] dashboard tests skipped: no Chromium found (${INSTALL_HINT})` };
}
