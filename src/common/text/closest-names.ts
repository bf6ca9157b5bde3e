/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[t.length]!;
}

/**
 * The candidates a mistyped name most likely meant ("did you mean …?"): those within a third of
 * the name's length in edit distance (at least 2), or that contain it or are contained in it,
 * closest first, at most `limit`.
 */
export function closestNames(given: string, candidates: readonly string[], limit = 3): string[] {
  const budget = Math.max(2, Math.floor(given.length / 3));
  const lower = given.toLowerCase();
  return candidates
    .map((name) => ({ name, distance: editDistance(given, name) }))
    .filter(({ name, distance }) => distance <= budget || (lower.length >= 3 && (name.toLowerCase().includes(lower) || lower.includes(name.toLowerCase()))))
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map(({ name }) => name);
}
