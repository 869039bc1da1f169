"""Guard rails in the database template: AWS's recommended alarms, a dashboard, and their parameters.

The alarms are those of CloudWatch's "Recommended alarms" for DynamoDB, scoped to this
template's table and index by Ref, never by a name typed in (cfn-lint rule E9007 checks it).
They are opt-in: no topic, no alarms. The dashboard is on by default and can be left out.
"""

import json
from dataclasses import dataclass

from troposphere import Equals, If, Not, Output, Parameter, Ref, Split, Sub, Template
from troposphere.cloudwatch import Alarm, Dashboard, MetricDimension

from kvtable.cfn import names

NAMESPACE = "AWS/DynamoDB"
# The operations the access patterns and writes use (see docs/data-contract.md).
LATENCY_OPERATIONS = names.LATENCY_OPERATIONS
DESIGN_LATENCY_TARGET_MS = 10


@dataclass(frozen=True)
class AlarmSpec:
    """One recommended alarm: which metric, how it is aggregated, and when it fires."""

    title: str
    metric: str
    statistic: str
    evaluation_periods: int
    threshold: Parameter
    description: str
    on_index: bool = False
    operation: str | None = None


# The alarms' thresholds, each a Number parameter: (title, default, least value, description).
_THRESHOLDS = (
    (
        names.THROTTLE_THRESHOLD_PARAMETER,
        "1",
        0,
        "Throttled requests a minute, five minutes running, that raise a throttle alarm (default 1).",
    ),
    (
        names.SYSTEM_ERRORS_THRESHOLD_PARAMETER,
        "1",
        0,
        "DynamoDB system errors a minute, fifteen minutes running, that raise the alarm (default 1).",
    ),
    (
        names.LATENCY_THRESHOLD_PARAMETER,
        str(DESIGN_LATENCY_TARGET_MS),
        1,
        "Average successful request latency in ms, ten minutes running, that raises a latency "
        f"alarm (default {DESIGN_LATENCY_TARGET_MS}: the design's single-digit-millisecond target).",
    ),
)


def alarm_parameters(template: Template) -> tuple[Parameter, Parameter, Parameter, Parameter]:
    """The topic (empty: no alarms) and the thresholds, with the condition that turns the alarms on."""
    topic = template.add_parameter(
        Parameter(
            names.ALARM_TOPIC_PARAMETER,
            Type="String",
            Default="",
            AllowedPattern=r"^(arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256})?$",
            Description="SNS topic ARN for the table's alarms (alarm and OK); empty (default): no alarms.",
            ConstraintDescription="must be empty or an SNS topic ARN",
        )
    )
    throttles, errors, latency = (
        template.add_parameter(
            Parameter(title, Type="Number", Default=default, MinValue=least, Description=description)
        )
        for title, default, least, description in _THRESHOLDS
    )
    template.add_condition(names.ALARMS_CONDITION, Not(Equals(Ref(topic), "")))
    return topic, throttles, errors, latency


def recommended_alarms(throttles: Parameter, errors: Parameter, latency: Parameter) -> list[AlarmSpec]:
    """AWS's recommended DynamoDB alarms for this table, its index, and each operation the contract uses."""
    specs = [
        AlarmSpec(
            "ReadThrottleEventsAlarm",
            "ReadThrottleEvents",
            "Sum",
            5,
            throttles,
            "reads throttled on the table",
        ),
        AlarmSpec(
            "WriteThrottleEventsAlarm",
            "WriteThrottleEvents",
            "Sum",
            5,
            throttles,
            "writes throttled on the table",
        ),
        AlarmSpec(
            "IndexReadThrottleEventsAlarm",
            "ReadThrottleEvents",
            "Sum",
            5,
            throttles,
            "reads throttled on the GSI",
            True,
        ),
        AlarmSpec(
            "IndexWriteThrottleEventsAlarm",
            "WriteThrottleEvents",
            "Sum",
            5,
            throttles,
            "writes throttled on the GSI",
            True,
        ),
        AlarmSpec(
            "SystemErrorsAlarm", "SystemErrors", "Sum", 15, errors, "DynamoDB answered with server errors"
        ),
    ]
    specs += [
        AlarmSpec(
            f"{operation}LatencyAlarm",
            "SuccessfulRequestLatency",
            "Average",
            10,
            latency,
            f"{operation} is slower than the threshold",
            operation=operation,
        )
        for operation in LATENCY_OPERATIONS
    ]
    return specs


def add_alarms(template: Template, table: object, gsi_name: Parameter) -> None:
    """The recommended alarms, each on the template's own table (and index), behind the alarm condition."""
    topic, throttles, errors, latency = alarm_parameters(template)
    for spec in recommended_alarms(throttles, errors, latency):
        dimensions = [MetricDimension(Name="TableName", Value=Ref(table))]
        if spec.on_index:
            dimensions.append(MetricDimension(Name="GlobalSecondaryIndexName", Value=Ref(gsi_name)))
        if spec.operation:
            dimensions.append(MetricDimension(Name="Operation", Value=spec.operation))
        template.add_resource(
            Alarm(
                spec.title,
                Condition=names.ALARMS_CONDITION,
                AlarmName=Sub("${AWS::StackName}-" + spec.title.removesuffix("Alarm")),
                AlarmDescription=f"kvtable: {spec.description}",
                Namespace=NAMESPACE,
                MetricName=spec.metric,
                Dimensions=dimensions,
                Statistic=spec.statistic,
                Period=60,
                EvaluationPeriods=spec.evaluation_periods,
                DatapointsToAlarm=spec.evaluation_periods,
                Threshold=Ref(spec.threshold),
                ComparisonOperator="GreaterThanThreshold",
                # No data means no requests: nothing throttled, erred or waited.
                TreatMissingData="notBreaching",
                AlarmActions=[Ref(topic)],
                OKActions=[Ref(topic)],
            )
        )


def _metric(metric: str, *dimensions: str, stat: str = "Sum") -> list[object]:
    return [NAMESPACE, metric, *dimensions, {"stat": stat}]


_TABLE = ("TableName", "${TableName}")
_INDEX = (*_TABLE, "GlobalSecondaryIndexName", "${GsiName}")


def _widget(title: str, metrics: list[list[object]], y: int, x: int = 0) -> dict[str, object]:
    """A time-series widget, half the dashboard's width, at (`x`, `y`)."""
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "view": "timeSeries",
            "period": 60,
            "metrics": metrics,
        },
    }


def _capacity_widgets() -> list[dict[str, object]]:
    """The top row: consumed capacity and throttle events, of the table and the GSI."""

    def of_table_and_index(*metrics: str) -> list[list[object]]:
        return [_metric(metric, *where) for where in (_TABLE, _INDEX) for metric in metrics]

    return [
        _widget(
            "Consumed capacity (table and GSI)",
            of_table_and_index("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"),
            0,
        ),
        _widget(
            "Throttle events (table and GSI)",
            of_table_and_index("ReadThrottleEvents", "WriteThrottleEvents"),
            0,
            12,
        ),
    ]


def dashboard_body() -> str:
    """The dashboard's JSON, with ${TableName}, ${GsiName} and ${AWS::Region} for Fn::Sub to fill in."""
    table, index = _TABLE, _INDEX
    widgets = [
        *_capacity_widgets(),
        _widget(
            "Successful request latency (ms) by operation",
            [
                _metric("SuccessfulRequestLatency", *table, "Operation", op, stat="Average")
                for op in LATENCY_OPERATIONS
            ],
            6,
        ),
        _widget(
            "Errors",
            [_metric("SystemErrors", *table), [NAMESPACE, "UserErrors", {"stat": "Sum"}]],
            6,
            12,
        ),
        _widget("Items deleted by TTL", [_metric("TimeToLiveDeletedItemCount", *table)], 12),
        _widget(
            "GSI backfill progress (%)",
            [_metric("OnlineIndexPercentageProgress", *index, stat="Maximum")],
            12,
            12,
        ),
    ]
    return json.dumps({"widgets": widgets}, sort_keys=True)


def add_dashboard(template: Template) -> None:
    """The dashboard, on by default; its name is an output."""
    _switch(
        template,
        names.DASHBOARD_PARAMETER,
        names.DASHBOARD_CONDITION,
        "true",
        "Create a CloudWatch dashboard for the table (default true).",
    )
    dashboard = template.add_resource(
        Dashboard(
            names.DASHBOARD_RESOURCE,
            Condition=names.DASHBOARD_CONDITION,
            DashboardName=Sub("${AWS::StackName}-kvtable"),
            DashboardBody=Sub(dashboard_body()),
        )
    )
    template.add_output(
        Output(
            names.OUTPUT_DASHBOARD_NAME,
            Condition=names.DASHBOARD_CONDITION,
            Description="Name of the CloudWatch dashboard",
            Value=Ref(dashboard),
        )
    )


def contributor_insights_parameter(template: Template) -> None:
    """The opt-in for CloudWatch Contributor Insights on the table and the GSI."""
    _switch(
        template,
        names.CONTRIBUTOR_INSIGHTS_PARAMETER,
        names.CONTRIBUTOR_INSIGHTS_CONDITION,
        "false",
        "Turn on CloudWatch Contributor Insights for the table and the GSI: the most accessed "
        "and most throttled partition keys (namespaces, API keys). Billed per event (default false).",
    )


def _switch(template: Template, title: str, condition: str, default: str, description: str) -> None:
    """A "true"/"false" parameter, and the condition that it is "true"."""
    enabled = template.add_parameter(
        Parameter(
            title, Type="String", Default=default, AllowedValues=["true", "false"], Description=description
        )
    )
    template.add_condition(condition, Equals(Ref(enabled), "true"))


def trusted_accounts_parameter(template: Template) -> Parameter:
    """Accounts other than the stack's whose principals the table's resource policy does not deny."""
    trusted = template.add_parameter(
        Parameter(
            names.TRUSTED_ACCOUNTS_PARAMETER,
            Type="String",
            Default="",
            AllowedPattern="^([0-9]{12}(,[0-9]{12})*)?$",
            Description="Comma-separated account ids the table's resource policy does not deny (default: none, "
            "only this account). The policy grants them nothing: a cross-account reader still needs an Allow and "
            "a customer-managed key (KmsKeyArn), since the AWS-managed key does not work across accounts.",
            ConstraintDescription="must be empty or 12-digit account ids separated by commas",
        )
    )
    template.add_condition(names.TRUST_OTHER_ACCOUNTS_CONDITION, Not(Equals(Ref(trusted), "")))
    return trusted


def allowed_accounts(trusted: Parameter) -> If:
    """The stack's account, plus the trusted ones when any are named."""
    return If(
        names.TRUST_OTHER_ACCOUNTS_CONDITION,
        Split(",", Sub("${AWS::AccountId}," + names.sub_variable(trusted.title))),
        [Ref("AWS::AccountId")],
    )
