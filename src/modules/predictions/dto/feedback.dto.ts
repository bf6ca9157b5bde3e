import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';

export class FeedbackRequest {
  @ApiPropertyOptional({
    example: true,
    description: 'Whether the prediction was right. Give exactly one of `correct` and `label`.',
  })
  @IsOptional()
  @IsBoolean()
  correct?: boolean;

  @ApiPropertyOptional({
    example: 'billing',
    description:
      "The true label (one of the model's labels); the prediction counts as correct when it equals the predicted label. Give exactly one of `correct` and `label`.",
    minLength: 1,
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  label?: string;
}

export class FeedbackResponse {
  @ApiProperty({ example: '0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11' })
  prediction_id: string;

  @ApiProperty({ example: true, description: 'Whether the prediction was right, as recorded' })
  correct: boolean;

  @ApiProperty({
    example: true,
    description:
      'True when the prediction was made inside an A/B test that is still active or paused: the custom metric `accuracy` (1 or 0) was recorded for the variant that made it. False outside a test, or once the test is completed (its results are frozen); the feedback is stored on the prediction either way.',
  })
  recorded_metric: boolean;
}
