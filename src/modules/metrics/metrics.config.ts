import { defineConfigSlice, type SliceOf } from '../../config/config-slice.js';

/** What the metrics module reads of the configuration. */
export const MetricsConfig = defineConfigSlice('MetricsConfig', [
  'metricsFlushMs',
  'metricsBufferMaxKeys',
  'metricsMinuteRetentionDays',
  'prometheusCustomMetricsPerTest',
  'metricsToken',
]);
export type MetricsConfig = SliceOf<typeof MetricsConfig>;
