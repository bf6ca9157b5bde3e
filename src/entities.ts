import type { MixedList } from 'typeorm';
import { ModelEntity } from './modules/model-registry/model.entity.js';
import { ModelVersionEntity } from './modules/model-registry/model-version.entity.js';
import { ModelVersionStageChangeEntity } from './modules/model-registry/model-version-stage-change.entity.js';
import { AbTest } from './modules/ab-tests/entities/ab-test.entity.js';
import { AbTestAssignment } from './modules/ab-tests/entities/ab-test-assignment.entity.js';
import { AbTestEvent } from './modules/ab-tests/entities/ab-test-event.entity.js';
import { PredictionEntity } from './modules/predictions/prediction.entity.js';
import { ConversationEntity } from './modules/conversation/conversation.entity.js';
import { MessageEntity } from './modules/conversation/message.entity.js';

/**
 * Every entity of every module, gathered above the modules for the tools that need the whole
 * schema at once: the migration CLI (`migration:generate` compares it with the database) and the
 * TypeORM CLI's ormconfig.ts. The app does not use this list: each module registers its own
 * entities with TypeOrmModule.forFeature and the DataSource loads them (autoLoadEntities).
 * A module adds its entities to its forFeature and here.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ENTITIES: MixedList<Function> = [ModelEntity, ModelVersionEntity, ModelVersionStageChangeEntity, AbTest, AbTestAssignment, AbTestEvent, PredictionEntity, ConversationEntity, MessageEntity];
