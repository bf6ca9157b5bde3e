import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionJob } from '../../database/retention-job.js';
import { ARTIFACT_STORE } from './artifact-store.js';
import type { PostgresArtifactStore } from './postgres-artifact.store.js';

/**
 * Artifacts no version references (an upload whose row then failed) go after a day's grace. Not
 * configurable: the bytes of a registered version are never deleted.
 */
@Injectable()
export class ArtifactRetention implements OnModuleInit {
  constructor(
    @Inject(ARTIFACT_STORE) private readonly store: PostgresArtifactStore,
    private readonly job: RetentionJob,
  ) {}

  onModuleInit(): void {
    this.job.register({ name: 'unreferenced artifacts', days: 1, run: () => this.store.deleteUnreferenced(24) });
  }
}
