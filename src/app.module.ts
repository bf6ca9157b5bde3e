import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { AuthModule } from './auth/auth.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { ModelRegistryModule } from './modules/model-registry/model-registry.module.js';
import { AbTestsModule } from './modules/ab-tests/ab-tests.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { PredictionsModule } from './modules/predictions/predictions.module.js';
import { SafetyModule } from './modules/safety/safety.module.js';
import { ConversationModule } from './modules/conversation/conversation.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, AuthModule, HealthModule, ModelRegistryModule, MetricsModule, AbTestsModule, PredictionsModule, SafetyModule, ConversationModule],
    };
  }
}
