import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DRAIN_METRICS_SERVICE } from '../../lib/astha/metrics.js';
import type { AsthaFunction } from './asthaFunction.js';

/** Namespace of the metrics Astha writes as Embedded Metric Format log lines. */
export const ASTHA_NAMESPACE = 'Astha';

/**
 * Astha's EMF metrics (lib/astha/metrics.ts) and the statistic each is graphed with. The
 * per-component ones carry a `Component` dimension; the dashboard finds every dimension set
 * with SEARCH, so one graph shows a line per component.
 */
export const ASTHA_METRICS: Readonly<Record<string, 'Sum' | 'Average' | 'Maximum'>> = {
  ChangesProcessed: 'Sum',
  ChangesFailed: 'Sum',
  ChangesDead: 'Sum',
  Batches: 'Sum',
  AverageBatchSize: 'Average',
  DrainLatencyMs: 'Average',
  CleanupMs: 'Average',
  SendRetries: 'Sum',
  SendMessageBatchCalls: 'Sum',
  CdcBacklogCount: 'Maximum',
  CdcBacklogAgeSeconds: 'Maximum',
  EventsSent: 'Sum',
  SendFailures: 'Sum',
  EventsSkipped: 'Sum',
  BreakerState: 'Maximum',
};

export interface MonitoredQueue {
  readonly label: string;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

export interface MonitoringProps {
  readonly namePrefix: string;
  readonly registration: MonitoredQueue;
  readonly components: readonly MonitoredQueue[];
  readonly functions: readonly AsthaFunction[];
  /** The drainer: its errors are alarmed on, since its own metrics are absent when it cannot run. */
  readonly drain: AsthaFunction;
  /** Alarm when the oldest unconverted change is older than this. */
  readonly backlogAgeThreshold: Duration;
  /** Alarm when the oldest S3 notification waiting for registration is older than this. */
  readonly registrationAgeThreshold: Duration;
  readonly alarmTopic?: ITopic;
}

const ONE_MINUTE = Duration.minutes(1);

/** Alarms on every dead-letter queue, the CDC backlog age and registration lag; one dashboard. */
export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly props: MonitoringProps;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.props = props;
    for (const q of [props.registration, ...props.components]) this.deadLetterAlarm(q);
    this.backlogAgeAlarm();
    this.drainErrorsAlarm();
    this.registrationAgeAlarm();
    this.dashboard = this.buildDashboard();
  }

  private deadLetterAlarm(q: MonitoredQueue): void {
    const metric = q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: ONE_MINUTE,
      statistic: 'Maximum',
    });
    this.addAlarm(`${q.label}-dlq-not-empty`, metric, 0, 1, TreatMissingData.NOT_BREACHING);
  }

  /*
   * Emitted (with Powertools' `service` dimension) only by drain runs that drained something or
   * left a backlog, so an idle deployment has no data points: missing data is not breaching.
   * A drainer that cannot run at all is caught by the errors alarm below.
   */
  private backlogAgeAlarm(): void {
    const metric = new Metric({
      namespace: ASTHA_NAMESPACE,
      metricName: 'CdcBacklogAgeSeconds',
      dimensionsMap: { service: DRAIN_METRICS_SERVICE },
      statistic: 'Maximum',
      period: ONE_MINUTE,
    });
    const threshold = this.props.backlogAgeThreshold.toSeconds();
    this.addAlarm('cdc-backlog-age', metric, threshold, 5, TreatMissingData.NOT_BREACHING);
  }

  /** Lambda's own Errors metric: present whenever the drainer runs, absent (fine) when nothing does. */
  private drainErrorsAlarm(): void {
    const metric = this.props.drain.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
    this.addAlarm('drain-errors', metric, 0, 3, TreatMissingData.NOT_BREACHING);
  }

  private registrationAgeAlarm(): void {
    const metric = this.props.registration.queue.metricApproximateAgeOfOldestMessage({
      period: ONE_MINUTE,
      statistic: 'Maximum',
    });
    const threshold = this.props.registrationAgeThreshold.toSeconds();
    this.addAlarm('registration-age', metric, threshold, 5, TreatMissingData.NOT_BREACHING);
  }

  private addAlarm(
    suffix: string,
    metric: IMetric,
    threshold: number,
    periods: number,
    missing: TreatMissingData,
  ): void {
    const alarmName = `${this.props.namePrefix}-${suffix}`;
    const alarm = new Alarm(this, suffix, {
      alarmName,
      metric,
      threshold,
      evaluationPeriods: periods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: missing,
    });
    if (this.props.alarmTopic) {
      alarm.addAlarmAction(new SnsAction(this.props.alarmTopic));
      alarm.addOkAction(new SnsAction(this.props.alarmTopic));
    }
    this.alarms.push(alarm);
  }

  private buildDashboard(): Dashboard {
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: this.props.namePrefix });
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# astha\nCDC drainer metrics (namespace \`${ASTHA_NAMESPACE}\`), queues and functions.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      ...Object.entries(ASTHA_METRICS).map(([name, statistic]) => this.asthaWidget(name, statistic)),
    );
    dashboard.addWidgets(...this.queueWidgets());
    dashboard.addWidgets(...this.functionWidgets());
    return dashboard;
  }

  /** SEARCH finds the metric under every dimension set (e.g. one line per Component). */
  private asthaWidget(metricName: string, statistic: string): GraphWidget {
    const search = new MathExpression({
      expression: `SEARCH('Namespace="${ASTHA_NAMESPACE}" MetricName="${metricName}"', '${statistic}', 60)`,
      usingMetrics: {},
      period: ONE_MINUTE,
    });
    return new GraphWidget({ title: `${metricName} (${statistic})`, left: [search], width: 6, height: 6 });
  }

  private queueWidgets(): GraphWidget[] {
    const all = [this.props.registration, ...this.props.components];
    const visible = (q: IQueue, label: string) =>
      q.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum', label });
    return [
      new GraphWidget({
        title: 'Queue depth',
        left: all.map((q) => visible(q.queue, q.label)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Oldest message age (s)',
        left: all.map((q) =>
          q.queue.metricApproximateAgeOfOldestMessage({
            period: ONE_MINUTE,
            statistic: 'Maximum',
            label: q.label,
          }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: 'Dead-letter depth',
        left: all.map((q) => visible(q.deadLetterQueue, q.label)),
        width: 8,
      }),
    ];
  }

  private functionWidgets(): GraphWidget[] {
    const fns = this.props.functions;
    return [
      new GraphWidget({
        title: 'Function errors',
        left: fns.map((f) => f.fn.metricErrors({ period: ONE_MINUTE, label: f.name })),
        width: 12,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: fns.map((f) => f.fn.metricDuration({ period: ONE_MINUTE, statistic: 'p99', label: f.name })),
        width: 12,
      }),
    ];
  }
}
