import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { INTENT_REPLIES, REDACTED_PII, REFUSALS } from '../../src/modules/conversation/reply-templates.js';
import { startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectError(body: unknown, status: number, code: string): void {
  expect(body).toMatchObject({ status_code: status, code });
}

describe('conversations', () => {
  let t: TestApp;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const send = (token: string, body: unknown) => t.http().post('/api/v1/conversations/messages').set(bearer(token)).send(body as object);
  const history = (token: string, id: string) => t.http().get(`/api/v1/conversations/${id}`).set(bearer(token));

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('POST /api/v1/conversations/messages', () => {
    it('starts a conversation: safety first, then intent, and a reply from the intent template', async () => {
      const res = await send(t.tokens.user('alice'), { text: 'I was charged twice for my subscription this month' }).expect(201);
      expect(res.body).toEqual({
        conversation_id: expect.stringMatching(UUID),
        message_id: expect.stringMatching(UUID),
        reply_message_id: expect.stringMatching(UUID),
        reply: INTENT_REPLIES.billing,
        intent: 'billing',
        confidence: expect.any(Number),
        intent_variant: null,
        intent_ab_test_id: null,
        intent_prediction_id: expect.stringMatching(UUID),
        safety: {
          label: 'safe',
          score: expect.any(Number),
          safe: true,
          model_version: 'v1.0.0',
          variant: null,
          ab_test_id: null,
          prediction_id: expect.stringMatching(UUID),
        },
        model_versions: { safety_classifier: 'v1.0.0', intent_classifier: 'v1.0.0' },
      });
      expect(res.body.confidence).toBeGreaterThan(0.5);
      const rows = await t.dataSource.query('SELECT id, model_type, label, user_id FROM predictions WHERE id = ANY($1) ORDER BY model_type', [
        [res.body.intent_prediction_id, res.body.safety.prediction_id],
      ]);
      expect(rows).toEqual([
        { id: res.body.intent_prediction_id, model_type: 'intent_classifier', label: 'billing', user_id: 'alice' },
        { id: res.body.safety.prediction_id, model_type: 'safety_classifier', label: 'safe', user_id: 'alice' },
      ]);
    });

    it.each([
      ['hello there!', 'greeting'],
      ['the app crashes every time I open it', 'technical_support'],
      ['what is the weather like on mars', 'other'],
    ])('%j → intent %s', async (text, intent) => {
      const res = await send(t.tokens.user('bob'), { text }).expect(201);
      expect(res.body.intent).toBe(intent);
      expect(res.body.reply).toBe(INTENT_REPLIES[intent]);
    });

    it('continues a conversation and keeps its history in order', async () => {
      const first = await send(t.tokens.user('carol'), { text: 'hello there!' }).expect(201);
      const id = first.body.conversation_id;
      const second = await send(t.tokens.user('carol'), { conversation_id: id, text: 'the app crashes every time I open it' }).expect(201);
      expect(second.body.conversation_id).toBe(id);

      const res = await history(t.tokens.user('carol'), id).expect(200);
      expect(res.body).toMatchObject({ conversation_id: id, user_id: 'carol' });
      expect(res.body.messages.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([
        ['user', 'hello there!'],
        ['assistant', INTENT_REPLIES.greeting],
        ['user', 'the app crashes every time I open it'],
        ['assistant', INTENT_REPLIES.technical_support],
      ]);
      const [hello, , crash] = res.body.messages;
      expect(hello).toMatchObject({
        message_id: first.body.message_id,
        intent: 'greeting',
        safety: { label: 'safe', safe: true, model_version: 'v1.0.0', prediction_id: first.body.safety.prediction_id },
        model_versions: { safety_classifier: 'v1.0.0', intent_classifier: 'v1.0.0' },
      });
      expect(crash.intent).toBe('technical_support');
      expect(res.body.messages[1]).toMatchObject({ role: 'assistant', intent: null, safety: null, model_versions: null });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));
    });

    it.each([
      ['you are a worthless idiot', 'toxic'],
      ['I want to end my life', 'self_harm'],
    ])('refuses %j (%s) without running the intent model', async (text, label) => {
      const intentsBefore = await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE model_type = 'intent_classifier'`);
      const res = await send(t.tokens.user('dave'), { text }).expect(201);
      expect(res.body).toMatchObject({
        reply: REFUSALS[label],
        intent: null,
        confidence: null,
        intent_prediction_id: null,
        safety: { label, safe: false },
        model_versions: { safety_classifier: 'v1.0.0', intent_classifier: null },
      });
      const intentsAfter = await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE model_type = 'intent_classifier'`);
      expect(intentsAfter[0].n).toBe(intentsBefore[0].n);
    });

    it('does not keep a message flagged as personal data in the history', async () => {
      const res = await send(t.tokens.user('erin'), { text: 'my card number is 4111 1111 1111 1111' }).expect(201);
      expect(res.body.safety.label).toBe('pii');
      expect(res.body.reply).toBe(REFUSALS.pii);
      const stored = await history(t.tokens.user('erin'), res.body.conversation_id).expect(200);
      expect(stored.body.messages[0].text).toBe(REDACTED_PII);
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE text LIKE '%4111%'`);
      expect(row.n).toBe(0);
    });

    it("posting into someone else's or an unknown conversation is 404, and nothing is classified", async () => {
      const mine = await send(t.tokens.user('frank'), { text: 'hello' }).expect(201);
      const predictionsBefore = await t.dataSource.query('SELECT count(*)::int AS n FROM predictions');
      const theirs = await send(t.tokens.user('mallory'), { conversation_id: mine.body.conversation_id, text: 'hi' }).expect(404);
      expectError(theirs.body, 404, 'CONVERSATION_NOT_FOUND');
      const unknown = await send(t.tokens.user('frank'), { conversation_id: '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11', text: 'hi' }).expect(404);
      expectError(unknown.body, 404, 'CONVERSATION_NOT_FOUND');
      const predictionsAfter = await t.dataSource.query('SELECT count(*)::int AS n FROM predictions');
      expect(predictionsAfter[0].n).toBe(predictionsBefore[0].n);
    });

    it('a service token speaks for a user, and may continue that user’s conversation', async () => {
      const started = await send(t.tokens.service, { text: 'hello', user_id: 'grace' }).expect(201);
      const [conversation] = await t.dataSource.query('SELECT user_id FROM conversations WHERE id = $1', [started.body.conversation_id]);
      expect(conversation.user_id).toBe('grace');
      await send(t.tokens.service, { conversation_id: started.body.conversation_id, text: 'I want to cancel my plan' }).expect(201);
      await send(t.tokens.user('grace'), { conversation_id: started.body.conversation_id, text: 'thanks' }).expect(201);
      const wrongUser = await send(t.tokens.service, { conversation_id: started.body.conversation_id, text: 'hi', user_id: 'heidi' }).expect(404);
      expectError(wrongUser.body, 404, 'CONVERSATION_NOT_FOUND');
      const forbidden = await send(t.tokens.user('grace'), { text: 'hi', user_id: 'heidi' }).expect(403);
      expectError(forbidden.body, 403, 'FORBIDDEN_USER_ID');
    });

    it.each([
      ['missing text', {}],
      ['empty text', { text: '' }],
      ['text over 10,000 characters', { text: 'x'.repeat(10_001) }],
      ['a conversation_id that is not a UUID', { text: 'hi', conversation_id: 'abc' }],
      ['an unknown field', { text: 'hi', intent: 'billing' }],
    ])('400 for %s', async (_name, body) => {
      const res = await send(t.tokens.user('ivan'), body).expect(400);
      expectError(res.body, 400, 'VALIDATION_FAILED');
    });

    it('401 without a token; 403 for an admin token', async () => {
      await t.http().post('/api/v1/conversations/messages').send({ text: 'hi' }).expect(401);
      const res = await send(t.tokens.admin, { text: 'hi' }).expect(403);
      expectError(res.body, 403, 'FORBIDDEN_ROLE');
    });
  });

  describe('GET /api/v1/conversations/{id}', () => {
    let id: string;
    beforeAll(async () => {
      id = (await send(t.tokens.user('judy'), { text: 'hello' }).expect(201)).body.conversation_id;
    });

    it('the owner, a service token and an admin token read it', async () => {
      for (const token of [t.tokens.user('judy'), t.tokens.service, t.tokens.admin]) {
        const res = await history(token, id).expect(200);
        expect(res.body.messages).toHaveLength(2);
      }
    });

    it.each([
      ['another user', (tt: TestApp) => tt.tokens.user('mallory'), () => id],
      ['an unknown id', (tt: TestApp) => tt.tokens.admin, () => '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11'],
      ['a malformed id', (tt: TestApp) => tt.tokens.admin, () => 'not-a-uuid'],
    ])('404 for %s', async (_name, token, conversationId) => {
      const res = await history(token(t), conversationId()).expect(404);
      expectError(res.body, 404, 'CONVERSATION_NOT_FOUND');
    });
  });

  describe('inside A/B tests on both models', () => {
    const tests: Record<string, string> = {};

    beforeAll(async () => {
      for (const modelType of ['safety_classifier', 'intent_classifier']) {
        tests[modelType] = await startAbTest(t, { name: `${modelType} v2`, model_type: modelType });
      }
    });

    it('each model runs the version of the user’s variant in its own test, and both tests count the request', async () => {
      const counts = { safety_classifier: { a: 0, b: 0 }, intent_classifier: { a: 0, b: 0 } };
      for (let i = 0; i < 40; i++) {
        const res = await send(t.tokens.user(`conv-ab-${i}`), { text: 'hello there!' }).expect(201);
        const { safety } = res.body;
        expect(safety.ab_test_id).toBe(tests.safety_classifier);
        expect(safety.model_version).toBe(safety.variant === 'a' ? 'v1.0.0' : 'v2.0.0');
        counts.safety_classifier[safety.variant as 'a' | 'b']++;
        if (res.body.intent !== null) {
          expect(res.body.intent_ab_test_id).toBe(tests.intent_classifier);
          expect(res.body.model_versions.intent_classifier).toBe(res.body.intent_variant === 'a' ? 'v1.0.0' : 'v2.0.0');
          counts.intent_classifier[res.body.intent_variant as 'a' | 'b']++;
        }
      }
      await t.app.get(MetricsService).flushNow();
      for (const modelType of ['safety_classifier', 'intent_classifier'] as const) {
        const res = await t.http().get(`/api/v1/ab-tests/${tests[modelType]}`).set(bearer(t.tokens.admin)).expect(200);
        expect(res.body.metrics.variant_a.requests).toBe(counts[modelType].a);
        expect(res.body.metrics.variant_b.requests).toBe(counts[modelType].b);
      }
    });
  });
});
