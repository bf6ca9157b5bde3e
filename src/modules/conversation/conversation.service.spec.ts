import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuthUser, Role } from '../../auth/roles.js';
import { FakeAbTestedClassifiers } from '../predictions/fake-ab-tested-classifiers.js';
import { SAFETY_MODEL_TYPE, SafetyService } from '../safety/safety.service.js';
import { ConversationService } from './conversation.service.js';
import { FakeConversationRepository } from './fake-conversation.repository.js';
import { INTENT_MODEL_TYPE, IntentService } from './intent.service.js';
import { REDACTED_PII, refusalFor, replyForIntent } from './reply-templates.js';

const caller = (role: Role, sub = `${role}-1`): AuthUser => ({ sub, roles: [role], claims: {} });

function setUp() {
  const classifiers = new FakeAbTestedClassifiers({
    [SAFETY_MODEL_TYPE]: (text) => (text.includes('idiot') ? 'toxic' : text.includes('4111') ? 'pii' : 'safe'),
    [INTENT_MODEL_TYPE]: (text) => (text.includes('invoice') ? 'billing' : 'other'),
  });
  const repository = new FakeConversationRepository();
  const service = new ConversationService(new SafetyService(classifiers), new IntentService(classifiers), repository);
  return { classifiers, repository, service };
}

describe('ConversationService (on the in-memory repository)', () => {
  it('answers a safe message from its intent and stores both messages in a new conversation of the caller', async () => {
    const { service, repository } = setUp();
    const posted = await service.postMessage(caller('user', 'alice'), { text: 'my invoice is wrong' });
    expect(posted.reply).toBe(replyForIntent('billing'));
    expect(posted.intent?.label).toBe('billing');
    expect(await repository.findById(posted.conversationId)).toMatchObject({ userId: 'alice' });
    const messages = await repository.history(posted.conversationId, 10);
    expect(messages.map((m) => [m.role, m.text, m.intent])).toEqual([
      ['user', 'my invoice is wrong', 'billing'],
      ['assistant', posted.reply, null],
    ]);
    expect(messages[0]!.safety).toMatchObject({ label: 'safe', safe: true, prediction_id: posted.safety.predictionId });
    expect(messages[0]!.modelVersions).toEqual({ safety_classifier: 'v1.0.0', intent_classifier: 'v1.0.0' });
  });

  it('refuses an unsafe message without asking the intent model, and keeps no personal data', async () => {
    const { service, repository, classifiers } = setUp();
    const toxic = await service.postMessage(caller('user'), { text: 'you idiot' });
    expect([toxic.reply, toxic.intent]).toEqual([refusalFor('toxic'), null]);
    const pii = await service.postMessage(caller('user'), { text: 'my card is 4111 1111' });
    expect((await repository.history(pii.conversationId, 10))[0]!.text).toBe(REDACTED_PII);
    expect(classifiers.calls.filter((call) => call.modelType === INTENT_MODEL_TYPE)).toEqual([]);
  });

  it('continues a conversation for its owner; another user finds no such conversation', async () => {
    const { service, repository } = setUp();
    const first = await service.postMessage(caller('user', 'alice'), { text: 'hello' });
    await service.postMessage(caller('user', 'alice'), { conversationId: first.conversationId, text: 'an invoice question' });
    expect(await repository.history(first.conversationId, 10)).toHaveLength(4);
    await expect(service.postMessage(caller('user', 'bob'), { conversationId: first.conversationId, text: 'hi' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND', status: 404 });
    await expect(service.postMessage(caller('user', 'bob'), { conversationId: randomUUID(), text: 'hi' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND', status: 404 });
  });

  it('lets a service token act for a user and continue any conversation, but not a user token name someone else', async () => {
    const { service } = setUp();
    const forAlice = await service.postMessage(caller('service'), { text: 'hello', userId: 'alice' });
    const continued = await service.postMessage(caller('service'), { conversationId: forAlice.conversationId, text: 'again' });
    expect(continued.conversationId).toBe(forAlice.conversationId);
    await expect(service.postMessage(caller('user', 'bob'), { text: 'hi', userId: 'alice' })).rejects.toMatchObject({ code: 'FORBIDDEN_USER_ID', status: 403 });
  });

  it('shows the history to its owner and to service and admin tokens only, the newest messages oldest first', async () => {
    const { service } = setUp();
    const posted = await service.postMessage(caller('user', 'alice'), { text: 'hello' });
    const history = await service.getHistory(caller('user', 'alice'), posted.conversationId);
    expect(history.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    await expect(service.getHistory(caller('admin'), posted.conversationId)).resolves.toMatchObject({ conversation: { userId: 'alice' } });
    await expect(service.getHistory(caller('user', 'bob'), posted.conversationId)).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND', status: 404 });
    await expect(service.getHistory(caller('user', 'alice'), 'not-a-uuid')).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND', status: 404 });
  });
});
