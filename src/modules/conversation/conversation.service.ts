import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../auth/roles.js';
import type { Prediction } from '../predictions/ab-tested-classifier.js';
import { actingUserId, isPrivileged } from '../../auth/acting-user.js';
import { isUuid } from '../../common/validation/uuid.js';
import { SafetyService, type SafetyVerdict } from '../safety/safety.service.js';
import type { ConversationEntity } from './conversation.entity.js';
import { ConversationError } from './conversation.errors.js';
import { ConversationRepository } from './conversation.repository.js';
import { IntentService } from './intent.service.js';
import type { MessageEntity, MessageModelVersions, MessageSafety } from './message.entity.js';
import { REDACTED_PII, refusalFor, replyForIntent } from './reply-templates.js';

export interface PostMessageInput {
  conversationId?: string;
  text: string;
  /** For service and admin tokens acting for an end user. */
  userId?: string;
}

/** The safety verdict as a message keeps it (and as the API shows it). */
export function toMessageSafety(verdict: SafetyVerdict): MessageSafety {
  return {
    label: verdict.label,
    score: verdict.score,
    safe: verdict.safe,
    model_version: verdict.modelVersion,
    variant: verdict.variant,
    ab_test_id: verdict.abTestId,
    prediction_id: verdict.predictionId,
  };
}

export interface PostedMessage {
  conversationId: string;
  messageId: string;
  replyMessageId: string;
  reply: string;
  safety: SafetyVerdict;
  intent: Prediction | null;
}

export interface ConversationHistory {
  conversation: ConversationEntity;
  messages: MessageEntity[];
}

/** Largest history returned at once (the newest messages). */
export const HISTORY_LIMIT = 1000;

@Injectable()
export class ConversationService {
  constructor(
    private readonly safety: SafetyService,
    private readonly intents: IntentService,
    private readonly conversations: ConversationRepository,
  ) {}

  /**
   * Safety first: an unsafe message gets a refusal and never reaches the intent model. A safe one
   * is classified by the user's intent_classifier version and answered from the template table.
   */
  async postMessage(caller: AuthUser, input: PostMessageInput): Promise<PostedMessage> {
    const userId = await this.resolveUser(caller, input);

    const safety = await this.safety.checkText(userId, input.text);
    const intent = safety.safe ? await this.intents.classifyIntent(userId, input.text) : null;
    const reply = intent ? replyForIntent(intent.label) : refusalFor(safety.label);

    const conversationId = input.conversationId ?? randomUUID();
    const messageId = randomUUID();
    const replyMessageId = randomUUID();
    const safetyRecord = toMessageSafety(safety);
    const modelVersions: MessageModelVersions = {
      safety_classifier: safety.modelVersion,
      intent_classifier: intent?.modelVersion ?? null,
    };

    await this.conversations.saveExchange({
      conversationId,
      ...(input.conversationId ? {} : { newConversationFor: userId }),
      message: {
        id: messageId,
        text: safety.label === 'pii' ? REDACTED_PII : input.text,
        intent: intent?.label ?? null,
        confidence: intent?.score ?? null,
        safety: safetyRecord,
        modelVersions,
      },
      reply: { id: replyMessageId, text: reply },
    });

    return { conversationId, messageId, replyMessageId, reply, safety, intent };
  }

  /** The owner, or a service or admin token, sees the history; anyone else gets 404. */
  async getHistory(caller: AuthUser, conversationId: string): Promise<ConversationHistory> {
    const conversation = isUuid(conversationId) ? await this.conversations.findById(conversationId) : null;
    if (!conversation || (!isPrivileged(caller) && conversation.userId !== caller.sub)) {
      throw ConversationError.notFound(conversationId);
    }
    return { conversation, messages: await this.conversations.history(conversation.id, HISTORY_LIMIT) };
  }

  /**
   * The user the message is for. In an existing conversation that is its owner: a `user` token must
   * own it, a service or admin token may continue any conversation (naming its owner in user_id, or
   * not at all). Someone else's conversation is "not found".
   */
  private async resolveUser(caller: AuthUser, input: PostMessageInput): Promise<string> {
    const requested = actingUserId(caller, input.userId);
    if (!input.conversationId) return requested;
    const conversation = await this.conversations.findById(input.conversationId);
    if (!conversation) throw ConversationError.notFound(input.conversationId);
    const privilegedWithoutUser = isPrivileged(caller) && input.userId === undefined;
    if (!privilegedWithoutUser && conversation.userId !== requested) throw ConversationError.notFound(input.conversationId);
    return conversation.userId;
  }
}
