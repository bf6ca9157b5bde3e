import type { MixedList } from 'typeorm';
import { ModelEntity } from '../modules/model-registry/model.entity.js';
import { ModelVersionEntity } from '../modules/model-registry/model-version.entity.js';
import { ModelVersionStageChangeEntity } from '../modules/model-registry/model-version-stage-change.entity.js';
import { AbTest } from '../modules/ab-tests/entities/ab-test.entity.js';
import { AbTestAssignment } from '../modules/ab-tests/entities/ab-test-assignment.entity.js';
import { AbTestEvent } from '../modules/ab-tests/entities/ab-test-event.entity.js';
import { PredictionEntity } from '../modules/predictions/prediction.entity.js';
import { ConversationEntity } from '../modules/conversation/conversation.entity.js';
import { MessageEntity } from '../modules/conversation/message.entity.js';

/**
 * Every entity of every module, for the DataSource the app, the migration CLI and the tests share.
 * A module adds its entities here and to its own TypeOrmModule.forFeature.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ENTITIES: MixedList<Function> = [ModelEntity, ModelVersionEntity, ModelVersionStageChangeEntity, AbTest, AbTestAssignment, AbTestEvent, PredictionEntity, ConversationEntity, MessageEntity];
