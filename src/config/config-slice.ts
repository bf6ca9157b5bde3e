import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import { AppConfig } from './app-config.js';

/** The part of the configuration one module reads: the named keys of AppConfig, read-only. */
export type ConfigSlice<K extends keyof AppConfig> = Readonly<Pick<AppConfig, K>>;

/**
 * A module's view of the configuration. Declare it beside the module that reads it:
 *
 *   export const MetricsConfig = defineConfigSlice('MetricsConfig', ['metricsFlushMs', 'metricsBufferMaxKeys']);
 *   export type MetricsConfig = SliceOf<typeof MetricsConfig>;
 *
 * register `MetricsConfig.provider` in the module, and inject it with `@Inject(MetricsConfig.token)`.
 * The value is a frozen copy of those keys, so a module can neither read what it did not declare
 * nor change what another module reads.
 */
export interface ConfigSliceDefinition<K extends keyof AppConfig> {
  readonly token: InjectionToken;
  readonly keys: readonly K[];
  readonly provider: FactoryProvider<ConfigSlice<K>>;
  /** The slice of a whole configuration (what the provider does; for unit tests and scripts). */
  of(config: AppConfig): ConfigSlice<K>;
}

export type SliceOf<D> = D extends ConfigSliceDefinition<infer K> ? ConfigSlice<K> : never;

export function defineConfigSlice<const K extends keyof AppConfig>(name: string, keys: readonly K[]): ConfigSliceDefinition<K> {
  const token = Symbol(name);
  const of = (config: AppConfig): ConfigSlice<K> => {
    const slice = {} as Pick<AppConfig, K>;
    for (const key of keys) slice[key] = config[key];
    return Object.freeze(slice);
  };
  return { token, keys, of, provider: { provide: token, inject: [AppConfig], useFactory: of } };
}
