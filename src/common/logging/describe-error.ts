/**
 * An error for a log line: its message's first line (driver errors can carry the whole query
 * after it) and, when it wraps another error, that one's too. Never the stack.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = firstLine(error.message);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${message}: ${firstLine(cause.message)}` : message;
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end);
}
