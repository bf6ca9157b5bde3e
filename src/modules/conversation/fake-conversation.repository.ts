import { ConversationEntity } from './conversation.entity.js';
import { ConversationRepository, type Exchange } from './conversation.repository.js';
import { MessageEntity } from './message.entity.js';

/** ConversationRepository in memory, for unit specs of ConversationService. */
export class FakeConversationRepository extends ConversationRepository {
  private readonly conversations = new Map<string, ConversationEntity>();
  private readonly messages: MessageEntity[] = [];

  findById(id: string): Promise<ConversationEntity | null> {
    return Promise.resolve(this.conversations.get(id.toLowerCase()) ?? null);
  }

  saveExchange({ conversationId, newConversationFor, message, reply }: Exchange): Promise<void> {
    const now = new Date();
    const id = conversationId.toLowerCase();
    if (newConversationFor === undefined) {
      const conversation = this.conversations.get(id);
      if (conversation) conversation.updatedAt = now;
    } else {
      if (this.conversations.has(id)) return Promise.reject(new Error(`duplicate key: conversation ${id}`));
      this.conversations.set(id, Object.assign(new ConversationEntity(), { id, userId: newConversationFor, createdAt: now, updatedAt: now }));
    }
    const base = { conversationId: id, createdAt: now };
    this.messages.push(
      Object.assign(new MessageEntity(), { ...base, id: message.id, role: 'user', text: message.text, intent: message.intent, confidence: message.confidence, safety: message.safety, modelVersions: message.modelVersions }),
      Object.assign(new MessageEntity(), { ...base, id: reply.id, role: 'assistant', text: reply.text, intent: null, confidence: null, safety: null, modelVersions: null }),
    );
    return Promise.resolve();
  }

  history(conversationId: string, limit: number): Promise<MessageEntity[]> {
    const all = this.messages.filter((message) => message.conversationId === conversationId.toLowerCase());
    return Promise.resolve(all.slice(Math.max(0, all.length - limit)));
  }

  deleteOlderThan(cutoff: Date): Promise<number> {
    const before = this.messages.length;
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i]!.createdAt < cutoff) this.messages.splice(i, 1);
    for (const [id, conversation] of this.conversations) {
      if (conversation.updatedAt < cutoff && !this.messages.some((message) => message.conversationId === id)) this.conversations.delete(id);
    }
    return Promise.resolve(before - this.messages.length);
  }
}
