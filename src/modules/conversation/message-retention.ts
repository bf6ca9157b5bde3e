import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionJob } from '../../database/retention-job.js';
import { ConversationConfig } from './conversation.config.js';
import { ConversationRepository } from './conversation.repository.js';

/** Messages older than MESSAGE_RETENTION_DAYS go, then conversations that are left empty and as old. */
@Injectable()
export class MessageRetention implements OnModuleInit {
  constructor(
    @Inject(ConversationConfig.token) private readonly config: ConversationConfig,
    private readonly conversations: ConversationRepository,
    private readonly job: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.job.register({
      name: 'messages',
      days: this.config.messageRetentionDays,
      run: (cutoff, shouldStop) => this.conversations.deleteOlderThan(cutoff, shouldStop),
    });
  }
}
