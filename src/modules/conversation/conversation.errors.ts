import { DomainError } from '../../common/errors/domain-error.js';

export class ConversationNotFoundError extends DomainError {
  constructor(id: string) {
    super('CONVERSATION_NOT_FOUND', `Conversation ${id} does not exist`);
  }
}
