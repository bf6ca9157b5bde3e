import { MAX_LOOKS, type LookInterval } from '../../metrics/metrics-query.service.js';

const HOUR_MS = 3_600_000;

/**
 * How often the results look back for the always-valid p-value: every past hour while the test
 * is young enough for all of them to count (MAX_LOOKS), every past day after. More looks keep
 * evidence seen early on; any schedule of looks keeps the p-value valid.
 */
export function lookInterval(startDate: Date | null, now: Date): LookInterval {
  if (startDate === null) return 'hour';
  return now.getTime() - startDate.getTime() <= MAX_LOOKS * HOUR_MS ? 'hour' : 'day';
}
