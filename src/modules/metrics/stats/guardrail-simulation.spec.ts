import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build-snapshot.js';
import { guardrailBreaches } from './guardrail-breaches.js';
import { mulberry32 } from './mulberry32.js';

/*
 * Repeated checks of healthy streams, as the guardrail runs them after every flush. Kept apart from
 * guardrail-breaches.spec.ts so the mutation run (vitest.mutation.config.ts) can leave this
 * 4-million-draw simulation out, like the A/A simulation: it would rerun for every mutant it covers.
 */
describe('guardrailBreaches under continuous monitoring', () => {
  it('does not fire on any of 200 simulated streams at 0.5% checked every 50 requests', () => {
    const random = mulberry32(11);
    for (let stream = 0; stream < 200; stream++) {
      let errors = 0;
      for (let n = 1; n <= 20_000; n++) {
        if (random() < 0.005) errors++;
        if (n % 50 === 0) expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: buildSnapshot({ requests: n, errors }) })).toEqual([]);
      }
    }
  });
});
