import { Body, Controller, DynamicModule, Module, Post } from '@nestjs/common';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { Authenticated } from '../../src/auth/authenticated.decorator.js';

class ProbeBody {
  @IsString()
  @Length(1, 20)
  name: string;

  @IsInt()
  @Min(0)
  @Max(10)
  count: number;
}

/** Routes that exist only in tests, to exercise role checks, validation and body limits. */
@Controller('probe')
class ProbeController {
  @Post('any-role')
  @Authenticated()
  anyRole(@Body() body: ProbeBody): ProbeBody {
    return body;
  }

  @Post('admin-only')
  @Authenticated('admin')
  adminOnly(@Body() body: ProbeBody): ProbeBody {
    return body;
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

export function appWithProbe(config: AppConfig): DynamicModule {
  const root = AppModule.forRoot(config);
  return { ...root, imports: [...(root.imports ?? []), ProbeModule] };
}
