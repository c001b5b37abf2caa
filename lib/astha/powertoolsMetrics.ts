/**
 * The drainer's metrics sink in Lambda: Powertools for AWS Lambda writes each document as one
 * CloudWatch Embedded Metric Format line on stdout, apart from the logger, so a `warn` log
 * level keeps every metric. Powertools adds a `service` dimension to every metric; the stack's
 * alarms and dashboard name it (`DRAIN_METRICS_SERVICE`).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  DRAIN_METRICS_SERVICE,
  METRICS_NAMESPACE,
  type MetricsDocument,
  type MetricsSink,
} from './metrics.js';

export function powertoolsMetricsSink(
  metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: DRAIN_METRICS_SERVICE }),
): MetricsSink {
  return {
    publish(documents: readonly MetricsDocument[], now: number): void {
      for (const document of documents) {
        // One flush per dimension set: Powertools applies its dimensions to every stored metric.
        metrics.setTimestamp(now);
        for (const [name, value] of Object.entries(document.dimensions)) metrics.addDimension(name, value);
        for (const [name, [value, unit]] of Object.entries(document.values))
          metrics.addMetric(name, unit, value);
        metrics.publishStoredMetrics();
      }
    },
  };
}
