import { ApiProperty } from '@nestjs/swagger';
import { AB_TEST_STATUSES } from '../lifecycle/lifecycle.js';
import type { AbTestEvent } from '../entities/ab-test-event.entity.js';

/**
 * The fields an event changed, before or after it. Which keys appear depends on the action:
 * created (after: status, model_type, variant_a, variant_b, traffic_split), started/resumed
 * (status, start_date), paused (status; a guardrail pause adds `reason` and `breaches`),
 * completed (status, winner, promoted_version, end_date, notes?), traffic_split_changed
 * (traffic_split, split_version). Inline, not a $ref: OpenAPI 3.0 cannot make a $ref nullable.
 */
const EVENT_STATE_PROPERTIES = {
  status: { type: 'string', enum: [...AB_TEST_STATUSES] },
  start_date: { type: 'string', format: 'date-time' },
  end_date: { type: 'string', format: 'date-time' },
  traffic_split: {
    type: 'object',
    properties: { a: { type: 'number', example: 0.5 }, b: { type: 'number', example: 0.5 } },
    required: ['a', 'b'],
  },
  split_version: { type: 'integer', description: 'Bumped by each split change' },
  winner: { type: 'string', enum: ['a', 'b'], nullable: true },
  promoted_version: { type: 'string', nullable: true, description: 'The version completion made production (null: none)' },
  notes: { type: 'string' },
  model_type: { type: 'string' },
  variant_a: { type: 'string' },
  variant_b: { type: 'string' },
  reason: { type: 'string', example: 'guardrail', description: 'Why a pause happened (`guardrail` for an automatic pause)' },
  breaches: {
    type: 'array',
    description: 'A guardrail pause: each breached criterion with the numbers behind it',
    items: {
      type: 'object',
      properties: {
        criterion: { type: 'string', example: 'max_error_rate' },
        threshold: { type: 'number' },
        observed: { type: 'number', nullable: true },
        n: { type: 'integer' },
        lower_bound: { type: 'number', nullable: true },
        reason: { type: 'string' },
      },
    },
  },
};

export class AbTestEventResponse {
  @ApiProperty({ example: 3, description: 'Orders the events of a test' })
  id: number;

  @ApiProperty({ format: 'uuid' })
  test_id: string;

  @ApiProperty({ enum: ['created', 'started', 'resumed', 'paused', 'completed', 'traffic_split_changed'], example: 'started' })
  action: string;

  @ApiProperty({ example: 'alice', description: 'The `sub` of the token that made the change' })
  actor: string;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    // Plain OpenAPI schema objects; @nestjs/swagger's metadata type does not model nested ones.
    properties: EVENT_STATE_PROPERTIES as never,
    description: 'The changed fields before the event (null for created)',
    example: { status: 'draft' },
  })
  before: Record<string, unknown> | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    // Plain OpenAPI schema objects; @nestjs/swagger's metadata type does not model nested ones.
    properties: EVENT_STATE_PROPERTIES as never,
    description: 'The changed fields after the event',
    example: { status: 'active', start_date: '2026-01-05T09:00:00.000Z' },
  })
  after: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class AbTestEventPageResponse {
  @ApiProperty({ type: [AbTestEventResponse] })
  items: AbTestEventResponse[];

  @ApiProperty({ example: 4 })
  total: number;

  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({ example: 0 })
  offset: number;
}

export function toAbTestEventResponse(event: AbTestEvent): AbTestEventResponse {
  return {
    id: Number(event.id),
    test_id: event.abTestId,
    action: event.action,
    actor: event.actor,
    before: event.before as Record<string, unknown> | null,
    after: event.after as Record<string, unknown> | null,
    created_at: event.createdAt.toISOString(),
  };
}
