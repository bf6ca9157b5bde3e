import { defineConfigSlice, type SliceOf } from '../../config/config-slice.js';

/** What the predictions module reads of the configuration. */
export const PredictionsConfig = defineConfigSlice('PredictionsConfig', ['feedbackPerUserPerHour', 'shadowQueueSize', 'predictionRetentionDays']);
export type PredictionsConfig = SliceOf<typeof PredictionsConfig>;
