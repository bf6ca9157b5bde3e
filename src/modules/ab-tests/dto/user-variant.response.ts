import { ApiProperty } from '@nestjs/swagger';
import type { Variant } from '../../../common/variant.js';

export class UserVariantResponse {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The running A/B test, or null when none runs for the model type' })
  ab_test_id: string | null;

  @ApiProperty({ example: 'safety_classifier' })
  model_type: string;

  @ApiProperty({ enum: ['a', 'b'], nullable: true, type: String, description: 'null when no A/B test runs (the production version is served)' })
  variant: Variant | null;

  @ApiProperty({ example: 'v2.0.0' })
  model_version: string;
}

/** The same shape as JSON Schema, for the route's precompiled response serializer. */
export const USER_VARIANT_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    ab_test_id: { type: ['string', 'null'] },
    model_type: { type: 'string' },
    variant: { type: ['string', 'null'] },
    model_version: { type: 'string' },
  },
  required: ['ab_test_id', 'model_type', 'variant', 'model_version'],
  additionalProperties: false,
} as const;
