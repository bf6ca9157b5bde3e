import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';

export const MAX_ROLLOUT_STEPS = 20;
export const DEFAULT_STEP_MIN_SECONDS = 3600;
export const DEFAULT_STEP_MIN_REQUESTS = 1000;

/** A guarded progressive rollout: b's share goes through `steps` while the guardrails hold. */
export class RolloutDto {
  @ApiProperty({
    type: [Number],
    example: [0.05, 0.1, 0.25, 0.5],
    minItems: 1,
    maxItems: MAX_ROLLOUT_STEPS,
    description: "b's share of new users at each step: increasing, each > 0 and ≤ 1. Starting the test sets b to steps[0].",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ROLLOUT_STEPS)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  @Min(Number.MIN_VALUE, { each: true, message: 'each step must be greater than 0' })
  @Max(1, { each: true, message: 'each step must be at most 1' })
  steps: number[];

  @ApiPropertyOptional({ example: 3600, minimum: 0, maximum: 31_536_000, description: `How long each step lasts at least (default ${DEFAULT_STEP_MIN_SECONDS})` })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(31_536_000)
  step_min_seconds?: number;

  @ApiPropertyOptional({ example: 1000, minimum: 0, maximum: 1_000_000_000, description: `Requests each variant needs within a step before the next (default ${DEFAULT_STEP_MIN_REQUESTS})` })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  step_min_requests?: number;

  @ApiPropertyOptional({
    example: true,
    description: 'Default false. After the last step: complete with winner b and promote it on `ship_b`, complete without promoting on `keep_a` or `no_difference`',
  })
  @IsOptional()
  @IsBoolean()
  auto_complete?: boolean;
}

/** Problems with the steps the decorators cannot express (order). */
export function rolloutStepProblems(steps: readonly number[]): string[] {
  for (let i = 1; i < steps.length; i++) {
    if (!(steps[i]! > steps[i - 1]!)) return [`rollout.steps must increase: steps[${i}] = ${steps[i]} is not above ${steps[i - 1]}`];
  }
  return [];
}
