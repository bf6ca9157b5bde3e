import { describe, expect, it } from 'vitest';
import { fnv1a32 } from '../../../common/hash/fnv1a32.js';
import { createFeaturizer, parseFeaturizerConfig, tokenize, type FeaturizerConfig } from './featurizer.js';

function config(overrides: Partial<FeaturizerConfig> = {}): FeaturizerConfig {
  return {
    type: 'hashed_ngrams',
    dimension: 1024,
    lowercase: true,
    word_ngrams: [1, 1],
    char_ngrams: null,
    sublinear_tf: false,
    normalize: 'none',
    sign_hash: false,
    normalize_digits: false,
    ...overrides,
  };
}

function nonZero(vector: Float32Array): Map<number, number> {
  const entries = new Map<number, number>();
  vector.forEach((value, index) => {
    if (value !== 0) entries.set(index, value);
  });
  return entries;
}

function norm(vector: Float32Array): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

describe('parseFeaturizerConfig', () => {
  it('fills optional fields with their defaults', () => {
    expect(parseFeaturizerConfig({ type: 'hashed_ngrams', dimension: 4096, word_ngrams: [1, 2] })).toEqual({
      type: 'hashed_ngrams',
      dimension: 4096,
      lowercase: true,
      word_ngrams: [1, 2],
      char_ngrams: null,
      sublinear_tf: false,
      normalize: 'l2',
      sign_hash: false,
      normalize_digits: false,
    });
  });

  it('keeps a complete valid config as it is', () => {
    const valid = config({ char_ngrams: [3, 5], sublinear_tf: true, normalize: 'l2', sign_hash: true });
    expect(parseFeaturizerConfig(valid)).toEqual(valid);
  });

  it.each([
    ['not an object', 'hashed', /must be an object/],
    ['null', null, /must be an object/],
    ['an unknown type', { ...config(), type: 'tfidf' }, /type must be "hashed_ngrams"/],
    ['a non power-of-two dimension', { ...config(), dimension: 1000 }, /dimension must be a power of two/],
    ['a zero dimension', { ...config(), dimension: 0 }, /dimension must be a power of two/],
    ['a huge dimension', { ...config(), dimension: 2 ** 30 }, /dimension must be a power of two/],
    ['a string dimension', { ...config(), dimension: '4096' }, /dimension must be a power of two/],
    ['no n-grams at all', { ...config(), word_ngrams: null, char_ngrams: null }, /needs word_ngrams or char_ngrams/],
    ['a reversed range', { ...config(), word_ngrams: [2, 1] }, /word_ngrams must be null or \[min, max\]/],
    ['a zero n-gram order', { ...config(), char_ngrams: [0, 3] }, /char_ngrams must be null or \[min, max\]/],
    ['too long character n-grams', { ...config(), char_ngrams: [3, 20] }, /char_ngrams/],
    ['a range of the wrong length', { ...config(), word_ngrams: [1] }, /word_ngrams/],
    ['an unknown normalisation', { ...config(), normalize: 'l1' }, /normalize must be "l2" or "none"/],
    ['a non-boolean flag', { ...config(), lowercase: 'yes' }, /lowercase must be a boolean/],
    ['a misspelt field', { ...config(), char_ngram: [3, 5] }, /unknown field\(s\): char_ngram/],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => parseFeaturizerConfig(raw)).toThrow(message);
    expect(() => createFeaturizer(raw)).toThrow(message);
  });
});

describe('tokenize', () => {
  it.each([
    ["Don't STOP, it's fine!", ['Dont', 'STOP', 'its', 'fine']],
    ['email: a.b@c.com', ['email', 'a', 'b', 'c', 'com']],
    ['  ', []],
    ['café déjà-vu 42', ['café', 'déjà', 'vu', '42']],
  ])('splits %j into letter and digit runs', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
  });
});

describe('createFeaturizer', () => {
  it('puts each word in the FNV-1a bucket of its namespaced n-gram', () => {
    const dimension = 1024;
    const vector = createFeaturizer(config({ dimension, word_ngrams: [1, 2] })).featurize('Hello world');
    const expected = new Map<number, number>();
    for (const gram of ['w:hello', 'w:world', 'w:hello world']) {
      const bucket = fnv1a32(gram) % dimension;
      expected.set(bucket, (expected.get(bucket) ?? 0) + 1);
    }
    expect(vector).toHaveLength(dimension);
    expect(nonZero(vector)).toEqual(expected);
  });

  it('hashes character n-grams over whitespace-collapsed, space-padded text', () => {
    const dimension = 1 << 16;
    const vector = createFeaturizer(config({ dimension, word_ngrams: null, char_ngrams: [3, 4] })).featurize('a  b');
    const grams = [' a ', 'a b', ' b ', ' a b', 'a b '];
    const expected = new Map(grams.map((gram) => [fnv1a32(`c:${gram}`) % dimension, 1]));
    expect(nonZero(vector)).toEqual(expected);
  });

  it('keeps word and character n-grams apart through their namespace prefix', () => {
    expect(fnv1a32('w:abc')).not.toBe(fnv1a32('c:abc'));
  });

  it('flips the sign of a bucket when signed hashing and the hash top bit say so', () => {
    const dimension = 1 << 16;
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    const vector = createFeaturizer(config({ dimension, sign_hash: true })).featurize(words.join(' '));
    const signs = words.map((word) => (fnv1a32(`w:${word}`) >>> 31 === 1 ? -1 : 1));
    expect(signs).toContain(-1);
    expect(signs).toContain(1);
    words.forEach((word, i) => expect(vector[fnv1a32(`w:${word}`) % dimension]).toBe(signs[i]));
  });

  it('counts repeats raw or sublinearly (1 + ln count)', () => {
    const text = 'spam spam spam spam';
    const bucket = fnv1a32('w:spam') % 1024;
    expect(createFeaturizer(config()).featurize(text)[bucket]).toBe(4);
    expect(createFeaturizer(config({ sublinear_tf: true })).featurize(text)[bucket]).toBeCloseTo(1 + Math.log(4), 6);
  });

  it('L2-normalises to unit length and leaves an empty text all zeros', () => {
    const featurizer = createFeaturizer(config({ word_ngrams: [1, 2], char_ngrams: [3, 5], normalize: 'l2', sublinear_tf: true }));
    expect(norm(featurizer.featurize('The quick brown fox jumps over the lazy dog, twice: the dog!'))).toBeCloseTo(1, 6);
    const empty = featurizer.featurize('   ');
    expect(empty.every((value) => value === 0)).toBe(true);
  });

  it('honours lowercase, digit folding and apostrophe stripping', () => {
    const folded = createFeaturizer(config({ normalize_digits: true, char_ngrams: [3, 5] }));
    expect(folded.featurize('Call 555-1234')).toEqual(folded.featurize('call 987-6543'));
    const raw = createFeaturizer(config({ lowercase: false }));
    expect(raw.featurize('Hello')).not.toEqual(raw.featurize('hello'));
    const lower = createFeaturizer(config());
    expect(lower.featurize('Hello')).toEqual(lower.featurize('hello'));
    expect(lower.featurize("don't")).toEqual(lower.featurize('dont'));
    expect(lower.featurize('1 2')).not.toEqual(lower.featurize('3 4'));
  });

  it('returns a fresh vector per call and carries no state from one text to the next', () => {
    const settings = config({ word_ngrams: [1, 2], char_ngrams: [3, 5], sublinear_tf: true, normalize: 'l2', sign_hash: true });
    const shared = createFeaturizer(settings);
    const first = shared.featurize('first message with several words words words');
    first.fill(7);
    const second = shared.featurize('second text');
    expect(second).toEqual(createFeaturizer(settings).featurize('second text'));
    expect(second).not.toBe(first);
  });

  it('grows its scratch space for long texts', () => {
    const featurizer = createFeaturizer(config({ dimension: 1 << 16, char_ngrams: [3, 5], normalize: 'l2' }));
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const vector = featurizer.featurize(long);
    expect(nonZero(vector).size).toBeGreaterThan(1000);
    expect(norm(vector)).toBeCloseTo(1, 5);
  });
});
