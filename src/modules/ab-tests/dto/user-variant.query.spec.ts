import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { UserVariantQueryPipe, userVariantQueryProblems } from './user-variant.query.js';

describe('userVariantQueryProblems', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['a model type', { model_type: 'safety_classifier' }, []],
    ['a model type and a user id', { model_type: 'safety_classifier', user_id: 'alice' }, []],
    ['nothing', {}, ['model_type']],
    ['a model type that is not a name', { model_type: 'Safety Classifier' }, ['model_type']],
    ['a repeated model type (an array)', { model_type: ['a_b', 'c_d'] }, ['model_type']],
    ['an empty user id', { model_type: 'safety_classifier', user_id: '' }, ['user_id']],
    ['a 256-character user id', { model_type: 'safety_classifier', user_id: 'x'.repeat(256) }, ['user_id']],
    ['an unknown parameter', { model_type: 'safety_classifier', colour: 'red' }, ['colour']],
  ])('%s', (_name, query, fields) => {
    expect(userVariantQueryProblems(query).map((p) => p.field)).toEqual(fields);
  });
});

describe('UserVariantQueryPipe', () => {
  const pipe = new UserVariantQueryPipe();

  it('passes a valid query through', () => {
    expect(pipe.transform({ model_type: 'intent_classifier' })).toEqual({ model_type: 'intent_classifier' });
    expect(pipe.transform({ model_type: 'intent_classifier', user_id: 'bob' })).toEqual({ model_type: 'intent_classifier', user_id: 'bob' });
  });

  it('throws the VALIDATION_FAILED shape of the global pipe', () => {
    try {
      pipe.transform({ user_id: '' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BadRequestException);
      expect((error as BadRequestException).getResponse()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'model_type' }, { field: 'user_id' }] });
    }
  });
});
