import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PredictionsModule } from '../predictions/predictions.module.js';
import { SafetyModule } from '../safety/safety.module.js';
import { ConversationController } from './conversation.controller.js';
import { ConversationConfig } from './conversation.config.js';
import { ConversationEntity } from './conversation.entity.js';
import { ConversationRepository, PostgresConversationRepository } from './conversation.repository.js';
import { ConversationService } from './conversation.service.js';
import { IntentService } from './intent.service.js';
import { MessageEntity } from './message.entity.js';
import { MessageRetention } from './message-retention.js';

/** Conversations: each message is checked by SafetyService, then classified by intent (AbTestedClassifiers) and answered. */
@Module({
  imports: [TypeOrmModule.forFeature([ConversationEntity, MessageEntity]), PredictionsModule, SafetyModule],
  controllers: [ConversationController],
  providers: [ConversationConfig.provider, { provide: ConversationRepository, useClass: PostgresConversationRepository }, ConversationService, IntentService, MessageRetention],
})
export class ConversationModule {}
