import { DomainError } from '../../common/errors/domain-error.js';

/** Errors of the conversation module; `code` is stable (clients switch on it). */
export class ConversationError extends DomainError {
  static notFound(id: string): ConversationError {
    return new ConversationError('CONVERSATION_NOT_FOUND', `Conversation ${id} does not exist`);
  }
}
