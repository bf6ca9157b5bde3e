/**
 * Core placement: the benchmarked server runs on core 0, the load generator on core 1 (`taskset`),
 * so neither takes CPU time from the other. On a one-core machine both share it, unpinned.
 */
import os from 'node:os';

export const cores = os.availableParallelism();

/** `taskset -c <core>` in front of a command, when there is more than one core to keep apart. */
export const pin = (core: number): string[] => (cores > 1 ? ['taskset', '-c', String(core)] : []);

/** Where the server and the load generator run, for the log. */
export const placement = (): string => (cores > 1 ? ' (core 0; load on core 1)' : ' (one core: server and load share it)');
