import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { ActingUserIdProperty } from '../../../common/validation/user-id.property.js';
import type { Variant } from '../../../common/variant.js';

export class SafetyCheckRequest {
  @ApiProperty({ example: 'Can you help me update the card on my account?', minLength: 1, maxLength: 10_000 })
  @IsString()
  @Length(1, 10_000)
  text: string;

  @ActingUserIdProperty(
    'The end user the check is made for (chooses the A/B test variant). Only service and admin tokens may name another user; a `user` token is always itself.',
  )
  user_id?: string;
}

export class SafetyCheckResponse {
  @ApiProperty({ example: 'safe', description: "The model's top label: safe, toxic, self_harm or pii for the shipped models" })
  label: string;

  @ApiProperty({ example: 0.93, description: 'Probability of `label`' })
  score: number;

  @ApiProperty({ example: true, description: '`label` is "safe"' })
  safe: boolean;

  @ApiProperty({ example: 'safety_classifier' })
  model_type: string;

  @ApiProperty({ example: 'v2.0.0', description: 'The model version that answered' })
  model_version: string;

  @ApiProperty({ example: 'b', enum: ['a', 'b'], nullable: true, type: String, description: 'The A/B test variant, null outside a test' })
  variant: Variant | null;

  @ApiProperty({ example: '6e1f3d2c-8a7b-4c1d-9e2f-3a4b5c6d7e8f', nullable: true, type: String, format: 'uuid' })
  ab_test_id: string | null;

  @ApiProperty({ example: '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11', format: 'uuid', description: 'Give feedback on it with POST /predictions/{prediction_id}/feedback' })
  prediction_id: string;
}
