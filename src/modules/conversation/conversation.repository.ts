import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deleteOlderThan, RETENTION_BATCH } from '../../database/retention-job.js';
import { ConversationEntity } from './conversation.entity.js';
import { MessageEntity, type MessageModelVersions, type MessageSafety } from './message.entity.js';

/** A user's message and the assistant's reply, stored together. */
export interface Exchange {
  conversationId: string;
  /** Creates the conversation for this user; absent: the conversation exists and is continued. */
  newConversationFor?: string;
  message: { id: string; text: string; intent: string | null; confidence: number | null; safety: MessageSafety; modelVersions: MessageModelVersions };
  reply: { id: string; text: string };
}

/** The owner of `conversations` and `messages`. */
export abstract class ConversationRepository {
  abstract findById(id: string): Promise<ConversationEntity | null>;

  /** Stores both messages of an exchange in one transaction, with the conversation (created or touched). */
  abstract saveExchange(exchange: Exchange): Promise<void>;

  /** The newest `limit` messages of a conversation, oldest first. */
  abstract history(conversationId: string, limit: number): Promise<MessageEntity[]>;

  /** Deletes messages older than `cutoff`, then conversations left empty and as old; returns the messages deleted. */
  abstract deleteOlderThan(cutoff: Date, shouldStop: () => boolean): Promise<number>;
}

@Injectable()
export class PostgresConversationRepository extends ConversationRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  findById(id: string): Promise<ConversationEntity | null> {
    return this.dataSource.getRepository(ConversationEntity).findOneBy({ id });
  }

  async saveExchange({ conversationId, newConversationFor, message, reply }: Exchange): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (newConversationFor === undefined) {
        await manager.query('UPDATE conversations SET updated_at = now() WHERE id = $1', [conversationId]);
      } else {
        await manager.query('INSERT INTO conversations (id, user_id) VALUES ($1, $2)', [conversationId, newConversationFor]);
      }
      await manager.query(
        `INSERT INTO messages (id, conversation_id, role, text, intent, confidence, safety, model_versions)
         VALUES ($1, $3, 'user', $4, $5, $6, $7, $8), ($2, $3, 'assistant', $9, NULL, NULL, NULL, NULL)`,
        [
          message.id,
          reply.id,
          conversationId,
          message.text,
          message.intent,
          message.confidence,
          JSON.stringify(message.safety),
          JSON.stringify(message.modelVersions),
          reply.text,
        ],
      );
    });
  }

  async history(conversationId: string, limit: number): Promise<MessageEntity[]> {
    const newestFirst = await this.dataSource
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .where('m.conversation_id = :id', { id: conversationId })
      .orderBy('m.seq', 'DESC')
      .limit(limit)
      .getMany();
    return newestFirst.reverse();
  }

  async deleteOlderThan(cutoff: Date, shouldStop: () => boolean): Promise<number> {
    const messages = await deleteOlderThan(this.dataSource, 'messages', 'created_at', cutoff, shouldStop);
    for (;;) {
      const [{ deleted }] = (await this.dataSource.query(
        `WITH gone AS (
           DELETE FROM conversations WHERE ctid = ANY(ARRAY(
             SELECT c.ctid FROM conversations c
              WHERE c.updated_at < $1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
              LIMIT ${RETENTION_BATCH}))
           RETURNING 1)
         SELECT count(*)::int AS deleted FROM gone`,
        [cutoff.toISOString()],
      )) as [{ deleted: number }];
      if (deleted < RETENTION_BATCH || shouldStop()) break;
    }
    return messages;
  }
}
