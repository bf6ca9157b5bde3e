import { ApiProperty } from '@nestjs/swagger';
import type { AbTestEvent } from '../entities/ab-test-event.entity.js';

export class AbTestEventResponse {
  @ApiProperty({ example: 3, description: 'Orders the events of a test' })
  id: number;

  @ApiProperty({ format: 'uuid' })
  test_id: string;

  @ApiProperty({ enum: ['created', 'started', 'resumed', 'paused', 'completed', 'traffic_split_changed'], example: 'started' })
  action: string;

  @ApiProperty({ example: 'alice', description: 'The `sub` of the token that made the change' })
  actor: string;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, example: { status: 'draft' } })
  before: Record<string, unknown> | null;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, example: { status: 'active', start_date: '2026-01-05T09:00:00.000Z' } })
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
