import { PredictionStore, type Feedback, type NewPrediction, type StoredPrediction } from './prediction.store.js';

interface Row extends StoredPrediction {
  createdAt: number;
  feedback: Feedback | null;
}

/** PredictionStore in memory, for unit specs of the services that serve and credit predictions. */
export class FakePredictionStore extends PredictionStore {
  private readonly rows = new Map<string, Row>();

  insert(row: NewPrediction): Promise<void> {
    this.rows.set(row.id, { ...row, createdAt: Date.now(), feedback: null });
    return Promise.resolve();
  }

  findById(id: string): Promise<StoredPrediction | null> {
    const row = this.rows.get(id);
    if (row === undefined) return Promise.resolve(null);
    const { createdAt: _createdAt, feedback: _feedback, ...prediction } = row;
    return Promise.resolve(prediction);
  }

  recordFeedback(id: string, feedback: Feedback): Promise<boolean> {
    const row = this.rows.get(id);
    if (row === undefined || row.feedback !== null) return Promise.resolve(false);
    row.feedback = { ...feedback };
    return Promise.resolve(true);
  }

  deleteOlderThan(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (const [id, row] of this.rows) {
      if (row.createdAt < cutoff.getTime()) {
        this.rows.delete(id);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }

  /** The feedback stored on a prediction (for assertions). */
  feedbackOf(id: string): Feedback | null | undefined {
    return this.rows.get(id)?.feedback;
  }

  get size(): number {
    return this.rows.size;
  }
}
