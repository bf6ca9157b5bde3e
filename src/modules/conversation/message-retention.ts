import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { deleteOlderThan, RETENTION_BATCH, RetentionJob } from '../../database/retention-job.js';

/** Messages older than MESSAGE_RETENTION_DAYS go, then conversations that are left empty and as old. */
@Injectable()
export class MessageRetention implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly job: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.job.register({
      name: 'messages',
      days: this.config.messageRetentionDays,
      run: async (cutoff, shouldStop) => {
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
      },
    });
  }
}
