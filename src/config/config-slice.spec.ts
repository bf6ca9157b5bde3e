import { describe, expect, it } from 'vitest';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfig, loadConfig } from './app-config.js';
import { ConfigModule } from './config.module.js';
import { defineConfigSlice, type SliceOf } from './config-slice.js';

const FlushConfig = defineConfigSlice('FlushConfig', ['metricsFlushMs', 'metricsBufferMaxKeys']);
type FlushConfig = SliceOf<typeof FlushConfig>;

@Injectable()
class Reader {
  constructor(@Inject(FlushConfig.token) readonly config: FlushConfig) {}
}

@Module({ providers: [FlushConfig.provider, Reader] })
class ReaderModule {}

describe('defineConfigSlice', () => {
  const config: AppConfig = loadConfig({ METRICS_FLUSH_MS: '750', PORT: '4321' });

  it('gives exactly the declared keys, with their values', () => {
    const slice = FlushConfig.of(config);
    expect(slice).toEqual({ metricsFlushMs: 750, metricsBufferMaxKeys: config.metricsBufferMaxKeys });
    expect(Object.keys(slice).sort()).toEqual(['metricsBufferMaxKeys', 'metricsFlushMs']);
    expect('port' in slice).toBe(false);
  });

  it('is read-only: a module cannot change what another module reads', () => {
    const slice = FlushConfig.of(config) as { metricsFlushMs: number };
    expect(() => {
      slice.metricsFlushMs = 1;
    }).toThrow(TypeError);
    expect(config.metricsFlushMs).toBe(750);
  });

  it('is injected by its token in a module that registers its provider', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), ReaderModule] }).compile();
    expect(moduleRef.get(Reader).config).toEqual({ metricsFlushMs: 750, metricsBufferMaxKeys: config.metricsBufferMaxKeys });
    await moduleRef.close();
  });
});
