import { fnv1a32 } from '../../../common/hash/fnv1a32.js';

/**
 * Declared input featurizer of a text model version. A model is only correct when it is fed
 * exactly the features it was trained on, so the config travels in the version's metadata and
 * every field is validated strictly (an unknown key is rejected rather than silently ignored).
 *
 * Algorithm (`hashed_ngrams`), in order:
 * 1. optional lowercasing (`toLowerCase`, locale-independent) and optional digit folding
 *    (every ASCII digit becomes `0`, so unseen phone or card numbers share features);
 * 2. word tokens: apostrophes are dropped ("don't" → "dont"), then maximal runs of Unicode
 *    letters and digits; word n-grams join tokens with one space;
 * 3. character n-grams over the whole text with whitespace runs collapsed to one space and one
 *    space of padding at each end (punctuation such as `@` and `-` is kept on purpose);
 * 4. each n-gram is hashed with 32-bit FNV-1a over `w:` or `c:` + the n-gram (the prefix keeps a
 *    one-letter word and the same character gram apart); bucket = hash mod dimension, and with
 *    `sign_hash` the top bit picks the sign (+1 / −1) so collisions cancel on average;
 * 5. per bucket: raw count, or with `sublinear_tf` sign(c)·(1 + ln|c|); then optional L2 norm.
 */
export interface FeaturizerConfig {
  type: 'hashed_ngrams';
  /** Power of two, so the bucket comes from the low bits and the sign from the independent top bit. */
  dimension: number;
  lowercase: boolean;
  /** Inclusive [min, max] word n-gram orders, or null for none. */
  word_ngrams: [number, number] | null;
  /** Inclusive [min, max] character n-gram lengths, or null for none. */
  char_ngrams: [number, number] | null;
  sublinear_tf: boolean;
  normalize: 'l2' | 'none';
  sign_hash: boolean;
  normalize_digits: boolean;
}

export interface Featurizer {
  readonly config: Readonly<FeaturizerConfig>;
  readonly dimension: number;
  /** A new zero-based vector per call: callers may hand it to an async runtime. */
  featurize(text: string): Float32Array;
}

const MAX_DIMENSION = 1 << 24;
const MAX_WORD_NGRAM = 4;
const MAX_CHAR_NGRAM = 8;

const KNOWN_KEYS = new Set([
  'type',
  'dimension',
  'lowercase',
  'word_ngrams',
  'char_ngrams',
  'sublinear_tf',
  'normalize',
  'sign_hash',
  'normalize_digits',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function parseRange(raw: unknown, field: string, max: number): [number, number] | null {
  if (raw === null || raw === undefined) return null;
  if (
    !Array.isArray(raw) ||
    raw.length !== 2 ||
    !Number.isInteger(raw[0]) ||
    !Number.isInteger(raw[1]) ||
    raw[0] < 1 ||
    raw[1] < raw[0] ||
    raw[1] > max
  ) {
    throw new Error(
      `featurizer.${field} must be null or [min, max] with integers 1 <= min <= max <= ${max}, got ${describe(raw)}`,
    );
  }
  return [raw[0] as number, raw[1] as number];
}

function parseBoolean(raw: unknown, field: string, fallback: boolean | undefined): boolean {
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'boolean') {
    throw new Error(`featurizer.${field} must be a boolean, got ${describe(raw)}`);
  }
  return raw;
}

/** Validates an untrusted featurizer config (from uploaded metadata) and fills in defaults. */
export function parseFeaturizerConfig(raw: unknown): FeaturizerConfig {
  if (!isPlainObject(raw)) {
    throw new Error(`featurizer config must be an object, got ${describe(raw)}`);
  }
  const unknownKeys = Object.keys(raw).filter((key) => !KNOWN_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw new Error(`featurizer config has unknown field(s): ${unknownKeys.join(', ')}`);
  }
  if (raw.type !== 'hashed_ngrams') {
    throw new Error(`featurizer.type must be "hashed_ngrams", got ${describe(raw.type)}`);
  }
  const dimension = raw.dimension;
  if (
    typeof dimension !== 'number' ||
    !Number.isInteger(dimension) ||
    dimension < 2 ||
    dimension > MAX_DIMENSION ||
    (dimension & (dimension - 1)) !== 0
  ) {
    throw new Error(
      `featurizer.dimension must be a power of two between 2 and ${MAX_DIMENSION}, got ${describe(dimension)}`,
    );
  }
  const wordNgrams = parseRange(raw.word_ngrams, 'word_ngrams', MAX_WORD_NGRAM);
  const charNgrams = parseRange(raw.char_ngrams, 'char_ngrams', MAX_CHAR_NGRAM);
  if (wordNgrams === null && charNgrams === null) {
    throw new Error('featurizer needs word_ngrams or char_ngrams (both are null)');
  }
  const normalize = raw.normalize ?? 'l2';
  if (normalize !== 'l2' && normalize !== 'none') {
    throw new Error(`featurizer.normalize must be "l2" or "none", got ${describe(normalize)}`);
  }
  return {
    type: 'hashed_ngrams',
    dimension,
    lowercase: parseBoolean(raw.lowercase, 'lowercase', true),
    word_ngrams: wordNgrams,
    char_ngrams: charNgrams,
    sublinear_tf: parseBoolean(raw.sublinear_tf, 'sublinear_tf', false),
    normalize,
    sign_hash: parseBoolean(raw.sign_hash, 'sign_hash', false),
    normalize_digits: parseBoolean(raw.normalize_digits, 'normalize_digits', false),
  };
}

const APOSTROPHES = /['\u2019]/g;
const WORD = /[\p{L}\p{N}]+/gu;
const WHITESPACE = /\s+/g;
const DIGIT = /[0-9]/g;

/** Word tokens as the featurizer sees them, exported so tests and tools agree with it. */
export function tokenize(text: string): string[] {
  return text.replace(APOSTROPHES, '').match(WORD) ?? [];
}

/**
 * Builds the featurizer for a config (validated again here, so a hand-built object cannot
 * bypass the checks). The returned function is the inference hot path.
 */
export function createFeaturizer(rawConfig: FeaturizerConfig | unknown): Featurizer {
  const config = Object.freeze(parseFeaturizerConfig(rawConfig));
  const { dimension, word_ngrams: wordRange, char_ngrams: charRange } = config;
  const mask = dimension - 1;
  // Scratch buffers reused across calls (featurize is synchronous, so never shared mid-call):
  // `touched` lists buckets written, so the tf transform and norm skip the untouched zeros.
  const seen = new Uint8Array(dimension);
  let touched = new Int32Array(256);

  const featurize = (input: string): Float32Array => {
    const vector = new Float32Array(dimension);
    let touchedCount = 0;

    const add = (gram: string): void => {
      const hash = fnv1a32(gram);
      const bucket = hash & mask;
      vector[bucket] += config.sign_hash && hash >>> 31 === 1 ? -1 : 1;
      if (seen[bucket] === 0) {
        seen[bucket] = 1;
        if (touchedCount === touched.length) {
          const grown = new Int32Array(touched.length * 2);
          grown.set(touched);
          touched = grown;
        }
        touched[touchedCount++] = bucket;
      }
    };

    let text = config.lowercase ? input.toLowerCase() : input;
    if (config.normalize_digits) text = text.replace(DIGIT, '0');

    if (wordRange !== null) {
      const tokens = tokenize(text);
      const [minN, maxN] = wordRange;
      for (let start = 0; start < tokens.length; start++) {
        let gram = 'w:';
        for (let n = 1; n <= maxN && start + n <= tokens.length; n++) {
          gram = n === 1 ? gram + tokens[start] : gram + ' ' + tokens[start + n - 1];
          if (n >= minN) add(gram);
        }
      }
    }

    if (charRange !== null) {
      const padded = ' ' + text.replace(WHITESPACE, ' ').trim() + ' ';
      const [minN, maxN] = charRange;
      for (let start = 0; start + minN <= padded.length; start++) {
        for (let n = minN; n <= maxN && start + n <= padded.length; n++) {
          add('c:' + padded.slice(start, start + n));
        }
      }
    }

    let sumSquares = 0;
    for (let i = 0; i < touchedCount; i++) {
      const bucket = touched[i];
      seen[bucket] = 0;
      let value = vector[bucket];
      if (config.sublinear_tf && value !== 0) {
        value = value > 0 ? 1 + Math.log(value) : -(1 + Math.log(-value));
        vector[bucket] = value;
      }
      sumSquares += value * value;
    }
    if (config.normalize === 'l2' && sumSquares > 0) {
      const scale = 1 / Math.sqrt(sumSquares);
      for (let i = 0; i < touchedCount; i++) vector[touched[i]] *= scale;
    }
    return vector;
  };

  return { config, dimension, featurize };
}
