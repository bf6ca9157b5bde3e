import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AbTestsModule } from '../ab-tests/ab-tests.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ModelRegistryModule } from '../model-registry/model-registry.module.js';
import { PredictionsModule } from '../predictions/predictions.module.js';
import { SafetyModule } from '../safety/safety.module.js';
import { ConversationController } from './conversation.controller.js';
import { ConversationEntity } from './conversation.entity.js';
import { ConversationService } from './conversation.service.js';
import { IntentService } from './intent.service.js';
import { MessageEntity } from './message.entity.js';
import { MessageRetention } from './message-retention.js';

@Module({
  imports: [TypeOrmModule.forFeature([ConversationEntity, MessageEntity]), AbTestsModule, ModelRegistryModule, MetricsModule, PredictionsModule, SafetyModule],
  controllers: [ConversationController],
  providers: [ConversationService, IntentService, MessageRetention],
})
export class ConversationModule {}
