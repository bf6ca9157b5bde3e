import { describe, expect, it } from 'vitest';
import { INTENT_REPLIES, REFUSALS, refusalFor, replyForIntent } from './reply-templates.js';

describe('reply templates', () => {
  it.each(['greeting', 'billing', 'technical_support', 'cancel_subscription', 'other'])('has a reply for intent %s', (intent) => {
    expect(replyForIntent(intent)).toBe(INTENT_REPLIES[intent]);
    expect(replyForIntent(intent).length).toBeGreaterThan(10);
  });

  it('answers an intent a newer model adds with the "other" reply', () => {
    expect(replyForIntent('refund_request')).toBe(INTENT_REPLIES.other);
  });

  it.each(['toxic', 'self_harm', 'pii'])('has a refusal for %s', (label) => {
    expect(refusalFor(label)).toBe(REFUSALS[label]);
  });

  it('refuses an unknown unsafe label generically', () => {
    expect(refusalFor('spam')).toMatch(/can't help/);
  });

  it('points people in distress to help', () => {
    expect(refusalFor('self_harm')).toMatch(/988/);
  });
});
