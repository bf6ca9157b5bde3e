import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Variant } from '../../common/variant.js';

export type MessageRole = 'user' | 'assistant';

/** What the safety check said about a user's message, kept with the message. */
export interface MessageSafety {
  label: string;
  score: number;
  safe: boolean;
  model_version: string;
  variant: Variant | null;
  ab_test_id: string | null;
  prediction_id: string;
}

export interface MessageModelVersions {
  safety_classifier: string;
  intent_classifier: string | null;
}

@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'bigint', insert: false, update: false, select: false })
  seq: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @Column({ type: 'enum', enum: ['user', 'assistant'], enumName: 'message_role' })
  role: MessageRole;

  @Column({ type: 'text' })
  text: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  intent: string | null;

  @Column({ type: 'double precision', nullable: true })
  confidence: number | null;

  @Column({ type: 'jsonb', nullable: true })
  safety: MessageSafety | null;

  @Column({ name: 'model_versions', type: 'jsonb', nullable: true })
  modelVersions: MessageModelVersions | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
