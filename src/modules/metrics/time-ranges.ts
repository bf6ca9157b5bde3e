import { GRAIN_MS, type Grain } from './aggregate-rows.js';

/** A half-open span [from, to) of bucket starts, read from one grain; null = unbounded. */
export interface Segment {
  grain: Grain;
  from: number | null;
  to: number | null;
}

const floorTo = (t: number, grain: Grain) => Math.floor(t / GRAIN_MS[grain]) * GRAIN_MS[grain];
const ceilTo = (t: number, grain: Grain) => Math.ceil(t / GRAIN_MS[grain]) * GRAIN_MS[grain];

/**
 * Splits a time range into the fewest rows to read: whole UTC days from the day rollups, whole
 * hours at the edges from the hour rollups, and the remaining minutes from the minute aggregates.
 * The range resolves to whole minutes: `from` rounds down and `to` rounds up (a minute is in the
 * range when any part of it is). null bounds are open, so no range at all is one day segment.
 */
export function planSegments(from: number | null, to: number | null): Segment[] {
  const start = from === null ? null : floorTo(from, 'minute');
  const end = to === null ? null : ceilTo(to, 'minute');
  if (start !== null && end !== null && start >= end) return [];
  const dayFrom = start === null ? null : ceilTo(start, 'day');
  const dayTo = end === null ? null : floorTo(end, 'day');
  if (dayFrom !== null && dayTo !== null && dayFrom >= dayTo) return hoursAndMinutes(start!, end!);
  return [
    ...(start !== null && dayFrom! > start ? hoursAndMinutes(start, dayFrom!) : []),
    { grain: 'day', from: dayFrom, to: dayTo },
    ...(end !== null && dayTo! < end ? hoursAndMinutes(dayTo!, end) : []),
  ];
}

/** [from, to) within one day boundary's reach: whole hours, then minutes at the edges. */
function hoursAndMinutes(from: number, to: number): Segment[] {
  const hourFrom = ceilTo(from, 'hour');
  const hourTo = floorTo(to, 'hour');
  if (hourFrom >= hourTo) return [{ grain: 'minute', from, to }];
  const segments: Segment[] = [];
  if (hourFrom > from) segments.push({ grain: 'minute', from, to: hourFrom });
  segments.push({ grain: 'hour', from: hourFrom, to: hourTo });
  if (hourTo < to) segments.push({ grain: 'minute', from: hourTo, to });
  return segments;
}
