import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuthUser, Role } from '../../auth/roles.js';
import type { Variant } from '../../common/variant.js';
import { FakeFeedbackTests, FakeModelLabels } from './fake-feedback-ports.js';
import { FakePredictionStore } from './fake-prediction.store.js';
import { ACCURACY_METRIC, FeedbackService } from './feedback.service.js';
import type { PredictionsConfig } from './predictions.config.js';

const caller = (role: Role, sub = `${role}-1`): AuthUser => ({ sub, roles: [role], claims: {} });

function setUp(feedbackPerUserPerHour = 100) {
  const predictions = new FakePredictionStore();
  const tests = new FakeFeedbackTests();
  const config: PredictionsConfig = { feedbackPerUserPerHour, shadowQueueSize: 1, predictionRetentionDays: 0 };
  const service = new FeedbackService(predictions, new FakeModelLabels({ safety_classifier: ['safe', 'toxic', 'pii'] }), tests, config);
  const testId = randomUUID();
  tests.setRecording(testId, true);
  const predict = async (userId: string, options: { variant?: Variant | null; abTestId?: string | null } = {}): Promise<string> => {
    const id = randomUUID();
    await predictions.insert({
      id,
      abTestId: options.abTestId === undefined ? testId : options.abTestId,
      variant: options.variant === undefined ? 'b' : options.variant,
      modelType: 'safety_classifier',
      modelVersion: 'v2.0.0',
      userId,
      label: 'toxic',
      score: 0.9,
    });
    return id;
  };
  return { service, predictions, tests, testId, predict };
}

describe('FeedbackService (on the in-memory prediction store and fake ports)', () => {
  it('stores `correct` once and records it as the accuracy of the variant that predicted', async () => {
    const { service, predictions, tests, testId, predict } = setUp();
    const id = await predict('alice');
    await expect(service.giveFeedback(caller('user', 'alice'), id, { correct: false })).resolves.toEqual({ predictionId: id, correct: false, recordedMetric: true });
    expect(predictions.feedbackOf(id)).toEqual({ correct: false, label: null, by: 'alice' });
    expect(tests.recorded).toEqual([{ testId, variant: 'b', name: ACCURACY_METRIC, value: 0 }]);
    await expect(service.giveFeedback(caller('user', 'alice'), id, { correct: true })).rejects.toMatchObject({ code: 'FEEDBACK_ALREADY_GIVEN', status: 409 });
    expect(tests.recorded).toHaveLength(1);
  });

  it('compares a given label with the predicted one, and refuses a label the model version cannot give', async () => {
    const { service, predictions, tests, predict } = setUp();
    const id = await predict('alice');
    await expect(service.giveFeedback(caller('user', 'alice'), id, { label: 'toxic' })).resolves.toMatchObject({ correct: true, recordedMetric: true });
    expect(predictions.feedbackOf(id)).toEqual({ correct: true, label: 'toxic', by: 'alice' });
    expect(tests.recorded.map((r) => r.value)).toEqual([1]);

    const other = await predict('alice');
    await expect(service.giveFeedback(caller('user', 'alice'), other, { label: 'spam' })).rejects.toMatchObject({
      code: 'INVALID_FEEDBACK',
      status: 400,
      message: 'label must be one of safe, toxic, pii (the labels of safety_classifier v2.0.0), got "spam"',
      details: { labels: ['safe', 'toxic', 'pii'] },
    });
    expect(predictions.feedbackOf(other)).toBeNull();
  });

  it('takes exactly one of `correct` and `label`', async () => {
    const { service, predict } = setUp();
    const id = await predict('alice');
    for (const input of [{}, { correct: true, label: 'safe' }]) {
      await expect(service.giveFeedback(caller('user', 'alice'), id, input)).rejects.toMatchObject({ code: 'INVALID_FEEDBACK', status: 400 });
    }
  });

  it("answers 404 for someone else's prediction to a user token, an unknown or malformed id; service tokens give feedback for anyone", async () => {
    const { service, predictions, predict } = setUp();
    const id = await predict('alice');
    for (const [who, predictionId] of [
      [caller('user', 'bob'), id],
      [caller('user', 'alice'), randomUUID()],
      [caller('admin'), 'not-a-uuid'],
    ] as const) {
      await expect(service.giveFeedback(who, predictionId, { correct: true })).rejects.toMatchObject({ code: 'PREDICTION_NOT_FOUND', status: 404 });
    }
    await expect(service.giveFeedback(caller('service', 'labeler'), id, { correct: true })).resolves.toMatchObject({ correct: true });
    expect(predictions.feedbackOf(id)).toEqual({ correct: true, label: null, by: 'labeler' });
  });

  it('keeps feedback on the prediction only when the test no longer records, or the prediction was served outside a test', async () => {
    const { service, tests, testId, predict } = setUp();
    const served = await predict('alice');
    const outside = await predict('alice', { abTestId: null, variant: null });
    tests.setRecording(testId, false);
    await expect(service.giveFeedback(caller('user', 'alice'), served, { correct: true })).resolves.toMatchObject({ recordedMetric: false });
    await expect(service.giveFeedback(caller('user', 'alice'), outside, { correct: true })).resolves.toMatchObject({ recordedMetric: false });
    expect(tests.recorded).toEqual([]);
  });

  it('caps a user token at FEEDBACK_PER_USER_PER_HOUR (429 with the wait), not service tokens', async () => {
    const { service, predict } = setUp(2);
    const ids = await Promise.all([predict('alice'), predict('alice'), predict('alice')]);
    await service.giveFeedback(caller('user', 'alice'), ids[0]!, { correct: true });
    await service.giveFeedback(caller('user', 'alice'), ids[1]!, { correct: true });
    const refused = service.giveFeedback(caller('user', 'alice'), ids[2]!, { correct: true });
    await expect(refused).rejects.toMatchObject({ code: 'FEEDBACK_RATE_LIMITED', status: 429, details: { limit_per_hour: 2 } });
    await expect(service.giveFeedback(caller('service'), ids[2]!, { correct: true })).resolves.toMatchObject({ correct: true });
  });
});
