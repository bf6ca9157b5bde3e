import { DomainError } from '../../common/errors/domain-error.js';

/** Errors of the metrics module; `code` is stable (clients switch on it). */
export class MetricsError extends DomainError {
  /** One metric event of a batch is not valid; names its index, nothing of the batch is stored. */
  static invalidEvent(index: number, problem: string): MetricsError {
    return new MetricsError('METRIC_EVENT_INVALID', `events[${index}]: ${problem}`, { index });
  }

  static metricsTokenRequired(): MetricsError {
    return new MetricsError('METRICS_TOKEN_REQUIRED', 'GET /metrics needs the METRICS_TOKEN this server is configured with, as a bearer token');
  }

  static invalidBatch(problem: string): MetricsError {
    return new MetricsError('METRIC_EVENT_INVALID', problem);
  }

  static invalidRange(problem: string): MetricsError {
    return new MetricsError('INVALID_TIME_RANGE', problem);
  }

  static unknownMetric(metric: string): MetricsError {
    return new MetricsError(
      'UNKNOWN_METRIC',
      `metric must be requests, error_rate, latency_ms or custom:<name> with a lowercase slug name, got "${metric}"`,
      { metric },
    );
  }
}
