import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated } from '../../auth/authenticated.decorator.js';
import { CurrentUser } from '../../auth/current-user.decorator.js';
import type { AuthUser } from '../../auth/roles.js';
import { ErrorBody } from '../../common/errors/error-body.js';
import { ConversationService, toMessageSafety, type ConversationHistory, type PostedMessage } from './conversation.service.js';
import { ConversationResponse, SendMessageRequest, SendMessageResponse } from './dto/message.dto.js';

export function toSendMessageResponse(posted: PostedMessage): SendMessageResponse {
  const { safety, intent } = posted;
  return {
    conversation_id: posted.conversationId,
    message_id: posted.messageId,
    reply_message_id: posted.replyMessageId,
    reply: posted.reply,
    intent: intent?.label ?? null,
    confidence: intent?.score ?? null,
    intent_variant: intent?.variant ?? null,
    intent_ab_test_id: intent?.abTestId ?? null,
    intent_prediction_id: intent?.predictionId ?? null,
    safety: toMessageSafety(safety),
    model_versions: { safety_classifier: safety.modelVersion, intent_classifier: intent?.modelVersion ?? null },
  };
}

export function toConversationResponse({ conversation, messages }: ConversationHistory): ConversationResponse {
  return {
    conversation_id: conversation.id,
    user_id: conversation.userId,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
    messages: messages.map((message) => ({
      message_id: message.id,
      role: message.role,
      text: message.text,
      intent: message.intent,
      confidence: message.confidence,
      safety: message.safety,
      model_versions: message.modelVersions,
      created_at: message.createdAt.toISOString(),
    })),
  };
}

@ApiTags('conversations')
@Controller('conversations')
export class ConversationController {
  constructor(private readonly conversations: ConversationService) {}

  @Post('messages')
  @Authenticated('user', 'service')
  @ApiOperation({
    summary: 'Send a chat message and get the assistant’s reply',
    description:
      'Runs the safety check first (the safety_classifier version the user is assigned to). An unsafe message gets a ' +
      'refusal and the intent model is not run (`intent`, `confidence`, `intent_prediction_id` and ' +
      '`model_versions.intent_classifier` are null). A safe one is classified by the user’s intent_classifier version and ' +
      'answered from a per-intent template. Both models report latency and errors to their running A/B tests. ' +
      'Without `conversation_id` a new conversation starts; someone else’s or an unknown one is 404.',
  })
  @ApiCreatedResponse({ type: SendMessageResponse })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'VALIDATION_FAILED: text missing, empty or over 10,000 characters; conversation_id not a UUID; unknown fields' })
  @ApiNotFoundResponse({ type: ErrorBody, description: "CONVERSATION_NOT_FOUND: no such conversation, or another user's" })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'MODEL_UNAVAILABLE: a model version cannot be loaded or failed (counted as an error for its variant)' })
  async sendMessage(@CurrentUser() caller: AuthUser, @Body() body: SendMessageRequest): Promise<SendMessageResponse> {
    const posted = await this.conversations.postMessage(caller, { conversationId: body.conversation_id, text: body.text, userId: body.user_id });
    return toSendMessageResponse(posted);
  }

  @Get(':conversation_id')
  @Authenticated('user', 'service', 'admin')
  @ApiOperation({
    summary: 'A conversation’s history (its owner, service and admin tokens)',
    description: 'Messages oldest first, each with its intent and safety verdict. Another user’s conversation is 404, as if it did not exist.',
  })
  @ApiParam({ name: 'conversation_id', format: 'uuid', example: '8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f' })
  @ApiOkResponse({ type: ConversationResponse })
  @ApiNotFoundResponse({ type: ErrorBody, description: "CONVERSATION_NOT_FOUND: no such conversation, or another user's" })
  async getConversation(@CurrentUser() caller: AuthUser, @Param('conversation_id') conversationId: string): Promise<ConversationResponse> {
    return toConversationResponse(await this.conversations.getHistory(caller, conversationId));
  }
}
