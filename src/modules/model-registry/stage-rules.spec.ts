import { describe, expect, it } from 'vitest';
import { isStage, planStageChange, STAGES, type Stage, type VersionStage } from './stage-rules.js';

const version = (id: string, stage: Stage): VersionStage => ({ id, version: `v${id}.0.0`, stage });

describe('isStage', () => {
  it.each(STAGES)('accepts %s', (stage) => expect(isStage(stage)).toBe(true));
  it.each(['', 'Production', 'prod', 'deleted', null, 1])('rejects %j', (value) => expect(isStage(value)).toBe(false));
});

describe('planStageChange', () => {
  it('promoting to production archives the current production version first', () => {
    expect(planStageChange(version('2', 'staging'), 'production', version('1', 'production'))).toEqual([
      { id: '1', version: 'v1.0.0', from: 'production', to: 'archived', reason: 'replaced in production by v2.0.0' },
      { id: '2', version: 'v2.0.0', from: 'staging', to: 'production', reason: null },
    ]);
  });

  it('promoting to production with no production version is a single change', () => {
    expect(planStageChange(version('2', 'none'), 'production', null)).toEqual([{ id: '2', version: 'v2.0.0', from: 'none', to: 'production', reason: null }]);
  });

  it('is a no-op when the version already has the stage', () => {
    for (const stage of STAGES) {
      const current = stage === 'production' ? version('2', 'production') : version('1', 'production');
      expect(planStageChange(version('2', stage), stage, current)).toEqual([]);
    }
  });

  it('allows rolling an archived version back into production', () => {
    const changes = planStageChange(version('1', 'archived'), 'production', version('2', 'production'));
    expect(changes.map((c) => [c.id, c.from, c.to])).toEqual([
      ['2', 'production', 'archived'],
      ['1', 'archived', 'production'],
    ]);
  });

  it.each([
    ['production', 'staging'],
    ['production', 'archived'],
    ['production', 'none'],
    ['none', 'staging'],
    ['staging', 'archived'],
    ['archived', 'none'],
  ] as Array<[Stage, Stage]>)('%s → %s touches only the version itself', (from, to) => {
    const target = version('3', from);
    const production = from === 'production' ? target : version('1', 'production');
    expect(planStageChange(target, to, production)).toEqual([{ id: '3', version: 'v3.0.0', from, to, reason: null }]);
  });

  it('never plans two production versions', () => {
    for (const from of STAGES) {
      for (const to of STAGES) {
        for (const hasProduction of [true, false]) {
          const target = version('2', from);
          const production = from === 'production' ? target : hasProduction ? version('1', 'production') : null;
          const stages = new Map<string, Stage>([[target.id, target.stage]]);
          if (production) stages.set(production.id, production.stage);
          for (const change of planStageChange(target, to, production)) {
            expect(stages.get(change.id)).toBe(change.from);
            stages.set(change.id, change.to);
            expect([...stages.values()].filter((s) => s === 'production').length).toBeLessThanOrEqual(1);
          }
          expect(stages.get(target.id)).toBe(to);
        }
      }
    }
  });
});
