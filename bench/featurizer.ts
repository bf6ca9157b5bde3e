/**
 * `npm run bench:featurizer` — the featurizer's hot path: µs per call for a 100-character support
 * message at dimension 16384 with word 1–2-grams, char 3–5-grams, sublinear tf, l2, sign hashing and
 * digit normalisation (the heaviest settings a shipped model uses). In-process, no server.
 *
 * A speed claim, so a bench and not a test: a timing assertion in the unit suite fails on a busy
 * machine and under mutation testing while the code is correct. Read it with the machine quiet.
 *
 * Options: --runs <n> (20000) --rounds <n> (5)
 */
import { parseArgs } from 'node:util';
import { createFeaturizer } from '../src/modules/model-registry/runtime/featurizer.js';
import { table } from './support/report.js';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const runs = Number(options.runs);
const rounds = Number(options.rounds);

const featurizer = createFeaturizer({
  type: 'hashed_ngrams',
  dimension: 16384,
  lowercase: true,
  word_ngrams: [1, 2],
  char_ngrams: [3, 5],
  sublinear_tf: true,
  normalize: 'l2',
  sign_hash: true,
  normalize_digits: true,
});
const text = 'Hi, I was charged twice this month for my subscription and the app keeps crashing when I log in!!';

for (let i = 0; i < 2000; i++) featurizer.featurize(text); // warm-up (JIT)
const perCall: number[] = [];
for (let round = 0; round < rounds; round++) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) featurizer.featurize(text);
  perCall.push(Number(process.hrtime.bigint() - started) / 1000 / runs);
}
perCall.sort((x, y) => x - y);
console.log(`featurize(${text.length} characters), dimension 16384, ${rounds} rounds of ${runs} calls`);
console.log(
  table([
    ['best', 'median', 'worst'],
    ['---', '---', '---'],
    [perCall[0]!, perCall[Math.floor(perCall.length / 2)]!, perCall.at(-1)!].map((us) => `${us.toFixed(1)} µs`),
  ]),
);
