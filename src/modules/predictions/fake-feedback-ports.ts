import type { Variant } from '../../common/variant.js';
import { FeedbackTests, ModelLabels } from './feedback-ports.js';

/** FeedbackTests in memory: tests are recording or not as set, recorded values are kept for assertions. */
export class FakeFeedbackTests extends FeedbackTests {
  readonly recorded: { testId: string; variant: Variant; name: string; value: number }[] = [];
  private readonly recording = new Set<string>();

  /** Marks a test as taking metrics (active or paused) or not (completed). */
  setRecording(testId: string, recording: boolean): void {
    if (recording) this.recording.add(testId);
    else this.recording.delete(testId);
  }

  isRecording(testId: string): Promise<boolean> {
    return Promise.resolve(this.recording.has(testId));
  }

  recordMetric(testId: string, variant: Variant, name: string, value: number): Promise<void> {
    this.recorded.push({ testId, variant, name, value });
    return Promise.resolve();
  }
}

/** ModelLabels from a table `modelType → labels` (every version of a model type gives the same labels). */
export class FakeModelLabels extends ModelLabels {
  constructor(private readonly labels: Record<string, readonly string[]>) {
    super();
  }

  labelsOf(modelType: string, version: string): Promise<readonly string[]> {
    const labels = this.labels[modelType];
    return labels ? Promise.resolve(labels) : Promise.reject(new Error(`no model ${modelType} ${version}`));
  }
}
