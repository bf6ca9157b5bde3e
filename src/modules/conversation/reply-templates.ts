/**
 * The assistant's answers: one template per intent of the intent_classifier, and one refusal per
 * unsafe label of the safety_classifier. A label a future model version adds falls back to the
 * generic answer instead of failing the request.
 */
export const INTENT_REPLIES: Readonly<Record<string, string>> = {
  greeting: "Hi there! I can help with billing, technical problems or your subscription. What can I do for you?",
  billing:
    "I can help with billing. Your invoices, charges and payment methods are under Settings → Billing; tell me which charge or invoice looks wrong and I'll look into it.",
  technical_support:
    "Sorry you're running into trouble. Tell me what you were doing, what you expected to happen and any error message you saw, and we'll work through it.",
  cancel_subscription:
    "I'm sorry to see you go. You can cancel any time under Settings → Subscription → Cancel subscription, and you keep access until the end of the period you paid for. If something isn't working for you, tell me — I may be able to help first.",
  other: "I'm not sure I understood. I can help with billing, technical support and your subscription — could you tell me a bit more?",
};

export const REFUSALS: Readonly<Record<string, string>> = {
  toxic: "I want to help, but I can't respond to abusive language. Could you tell me what you need in other words?",
  self_harm:
    "I'm really sorry you're going through this, and I'm glad you said something. You don't have to face it alone: please reach out to someone you trust, or to a crisis line right now — in the US call or text 988, in the UK and Ireland call Samaritans on 116 123. If you are in immediate danger, call your local emergency number.",
  pii: "For your safety, please don't share personal details such as card numbers, passwords, phone numbers or addresses in this chat. I haven't kept that message — describe your question without them and I'll help.",
};

const GENERIC_REFUSAL = "I can't help with that message. Could you rephrase it?";

export function replyForIntent(intent: string): string {
  return INTENT_REPLIES[intent] ?? INTENT_REPLIES.other!;
}

export function refusalFor(safetyLabel: string): string {
  return REFUSALS[safetyLabel] ?? GENERIC_REFUSAL;
}

/** Personal data flagged by the safety check is not written to the conversation history. */
export const REDACTED_PII = '[redacted: the safety check flagged personal data]';
