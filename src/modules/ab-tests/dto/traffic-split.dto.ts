import { ApiProperty } from '@nestjs/swagger';
import { IsNumber, Max, Min } from 'class-validator';

/** Shares of new users per variant, each 0–1, summing to 1 (checked by the service, ±1e-9). */
export class TrafficSplitDto {
  @ApiProperty({ example: 0.5, minimum: 0, maximum: 1, description: 'Share of new users sent to a (control)' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  a: number;

  @ApiProperty({ example: 0.5, minimum: 0, maximum: 1, description: 'Share of new users sent to b (treatment)' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  b: number;
}
