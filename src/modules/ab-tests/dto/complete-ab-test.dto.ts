import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import type { Variant } from '../../../common/variant.js';

export class CompleteAbTestDto {
  @ApiProperty({
    enum: ['a', 'b'],
    type: String,
    nullable: true,
    example: 'b',
    description: 'Required: the winning variant, or null to complete without a winner. Completing is final, so the decision is stated, never implied.',
  })
  @ValidateIf((body: CompleteAbTestDto) => body.winner !== null)
  @IsIn(['a', 'b'], { message: 'winner is required: "a", "b", or null to complete without a winner (completing is final)' })
  winner: Variant | null;

  @ApiPropertyOptional({ example: false, default: false, description: "Make the winner's model version the production version (same transaction)" })
  @IsOptional()
  @IsBoolean()
  promote?: boolean;

  @ApiPropertyOptional({ example: 'b cut false positives by 12% at equal latency.', maxLength: 10000, description: 'Findings, shown with the test' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  notes?: string;
}
