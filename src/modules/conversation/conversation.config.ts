import { defineConfigSlice, type SliceOf } from '../../config/config-slice.js';

/** What the conversation module reads of the configuration. */
export const ConversationConfig = defineConfigSlice('ConversationConfig', ['messageRetentionDays']);
export type ConversationConfig = SliceOf<typeof ConversationConfig>;
