import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class AbTestIdParam {
  @ApiProperty({ format: 'uuid', example: '3f0c9a52-6a1e-4c8e-9d57-2b1f0e4a7c11' })
  @IsUUID('all', { message: 'test_id must be a UUID' })
  test_id: string;
}
