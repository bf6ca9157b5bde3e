/**
 * Model version strings: semantic versions (semver.org 2.0.0) with an optional leading `v`.
 * The registry stores the canonical form with the `v` (`v2.0.0`, the spelling the API documents), so
 * `2.0.0` and `v2.0.0` name the same version and can never both be registered.
 */
export interface SemanticVersion {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers (`rc.1` → ['rc', '1']); empty for a release. */
  prerelease: string[];
  /** Build metadata after `+`, kept verbatim; empty when absent. */
  build: string[];
  /** `v<major>.<minor>.<patch>[-<prerelease>][+<build>]`. */
  canonical: string;
}

/** Longest version string accepted in look-ups (model_versions.version is varchar(128)). */
export const MAX_VERSION_LENGTH = 128;
/**
 * Longest version a new registration may have: every prediction stores the version that served
 * it, in predictions.model_version, a varchar(100).
 */
export const MAX_REGISTERED_VERSION_LENGTH = 100;

// The regular expression recommended by semver.org, with an optional `v` in front.
export const SEMVER_PATTERN =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Parses a version string; null when it is not a semantic version. */
export function parseVersion(raw: string): SemanticVersion | null {
  if (typeof raw !== 'string') return null;
  // The stored form is never shorter than `raw`, so this also bounds what the expression sees; an
  // empty string fails the expression.
  const canonical = raw.startsWith('v') ? raw : `v${raw}`;
  if (canonical.length > MAX_VERSION_LENGTH) return null;
  const match = SEMVER_PATTERN.exec(raw);
  if (!match) return null;
  const [, major, minor, patch, prerelease, build] = match;
  const numbers = [major, minor, patch].map(Number);
  if (!numbers.every(Number.isSafeInteger)) return null;
  return {
    major: numbers[0],
    minor: numbers[1],
    patch: numbers[2],
    prerelease: prerelease ? prerelease.split('.') : [],
    build: build ? build.split('.') : [],
    canonical,
  };
}

/** The stored spelling of a version, or null when `raw` is not a semantic version. */
export function canonicalVersion(raw: string): string | null {
  return parseVersion(raw)?.canonical ?? null;
}
