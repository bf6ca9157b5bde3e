import { describe, expect, it } from 'vitest';
import { describeError } from './describe-error.js';

describe('describeError', () => {
  it('gives the first line of the message, never the stack', () => {
    expect(describeError(new Error('connection refused'))).toBe('connection refused');
    expect(describeError(new Error('syntax error at "FROM"\nQUERY: SELECT …'))).toBe('syntax error at "FROM"');
  });

  it('adds the first line of the error it wraps', () => {
    expect(describeError(new Error('fetching the keys failed', { cause: new Error('ECONNRESET\nat …') }))).toBe('fetching the keys failed: ECONNRESET');
    expect(describeError(new Error('outer', { cause: 'a string' }))).toBe('outer');
  });

  it('prints what is not an Error', () => {
    expect(describeError('timeout')).toBe('timeout');
    expect(describeError(undefined)).toBe('undefined');
  });
});
