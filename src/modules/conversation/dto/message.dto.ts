import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { ActingUserIdProperty } from '../../../common/validation/user-id.property.js';
import type { Variant } from '../../../common/variant.js';

export class SendMessageRequest {
  @ApiPropertyOptional({
    format: 'uuid',
    example: '8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f',
    description: 'Continue this conversation; omit to start a new one',
  })
  @IsOptional()
  @IsUUID('all')
  conversation_id?: string;

  @ApiProperty({ example: 'I was charged twice for my subscription this month', minLength: 1, maxLength: 10_000 })
  @IsString()
  @Length(1, 10_000)
  text: string;

  @ActingUserIdProperty('The end user a service or admin token speaks for (chooses the A/B test variants). A `user` token is always itself.')
  user_id?: string;
}

export class MessageSafetyResponse {
  @ApiProperty({ example: 'safe', description: 'safe, toxic, self_harm or pii for the shipped models' })
  label: string;

  @ApiProperty({ example: 0.97 })
  score: number;

  @ApiProperty({ example: true })
  safe: boolean;

  @ApiProperty({ example: 'v1.0.0' })
  model_version: string;

  @ApiProperty({ example: 'a', enum: ['a', 'b'], nullable: true, type: String })
  variant: Variant | null;

  @ApiProperty({ example: '6e1f3d2c-8a7b-4c1d-9e2f-3a4b5c6d7e8f', nullable: true, type: String, format: 'uuid' })
  ab_test_id: string | null;

  @ApiProperty({ example: '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11', format: 'uuid', description: 'Feedback: POST /predictions/{prediction_id}/feedback' })
  prediction_id: string;
}

export class ModelVersionsResponse {
  @ApiProperty({ example: 'v1.0.0' })
  safety_classifier: string;

  @ApiProperty({ example: 'v2.0.0', nullable: true, type: String, description: 'null when the message was refused (intent not run)' })
  intent_classifier: string | null;
}

export class SendMessageResponse {
  @ApiProperty({ format: 'uuid', example: '8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f' })
  conversation_id: string;

  @ApiProperty({ format: 'uuid', example: '1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b', description: "The user's message" })
  message_id: string;

  @ApiProperty({ format: 'uuid', example: '2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b', description: "The assistant's reply" })
  reply_message_id: string;

  @ApiProperty({
    example: "I can help with billing. Your invoices, charges and payment methods are under Settings → Billing; tell me which charge or invoice looks wrong and I'll look into it.",
  })
  reply: string;

  @ApiProperty({ example: 'billing', nullable: true, type: String, description: 'null when the safety check refused the message' })
  intent: string | null;

  @ApiProperty({ example: 0.88, nullable: true, type: Number, description: 'Probability of `intent`' })
  confidence: number | null;

  @ApiProperty({ example: 'b', enum: ['a', 'b'], nullable: true, type: String, description: "The intent model's A/B test variant" })
  intent_variant: Variant | null;

  @ApiProperty({ example: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', nullable: true, type: String, format: 'uuid' })
  intent_ab_test_id: string | null;

  @ApiProperty({
    example: '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a',
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The intent prediction, for POST /predictions/{prediction_id}/feedback',
  })
  intent_prediction_id: string | null;

  @ApiProperty({ type: MessageSafetyResponse })
  safety: MessageSafetyResponse;

  @ApiProperty({ type: ModelVersionsResponse })
  model_versions: ModelVersionsResponse;
}

export class HistoryMessageResponse {
  @ApiProperty({ format: 'uuid', example: '1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b' })
  message_id: string;

  @ApiProperty({ enum: ['user', 'assistant'], example: 'user' })
  role: 'user' | 'assistant';

  @ApiProperty({ example: 'I was charged twice for my subscription this month', description: 'Messages flagged as personal data are stored redacted' })
  text: string;

  @ApiProperty({ example: 'billing', nullable: true, type: String })
  intent: string | null;

  @ApiProperty({ example: 0.88, nullable: true, type: Number })
  confidence: number | null;

  @ApiPropertyOptional({ type: MessageSafetyResponse, nullable: true, description: "The safety verdict (user messages only)" })
  safety: MessageSafetyResponse | null;

  @ApiPropertyOptional({ type: ModelVersionsResponse, nullable: true, description: 'The versions that answered (user messages only)' })
  model_versions: ModelVersionsResponse | null;

  @ApiProperty({ example: '2026-01-15T10:24:31.512Z' })
  created_at: string;
}

export class ConversationResponse {
  @ApiProperty({ format: 'uuid', example: '8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f' })
  conversation_id: string;

  @ApiProperty({ example: 'user-42' })
  user_id: string;

  @ApiProperty({ example: '2026-01-15T10:24:31.480Z' })
  created_at: string;

  @ApiProperty({ example: '2026-01-15T10:25:02.113Z' })
  updated_at: string;

  @ApiProperty({ type: [HistoryMessageResponse], description: `Oldest first (at most the newest 1000)` })
  messages: HistoryMessageResponse[];
}
