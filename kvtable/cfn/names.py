"""Logical ids and output names that the templates, scripts and tests share."""

from typing import Final

TABLE_TYPE: Final = "AWS::DynamoDB::Table"
MANAGED_POLICY_TYPE: Final = "AWS::IAM::ManagedPolicy"

TABLE_RESOURCE: Final = "KVStorageTable"
READ_POLICY_RESOURCE: Final = "ReadPolicy"
READ_WRITE_POLICY_RESOURCE: Final = "ReadWritePolicy"

TABLE_NAME_PARAMETER: Final = "TableName"
GSI_NAME_PARAMETER: Final = "GsiName"
KMS_KEY_PARAMETER: Final = "KmsKeyArn"
CUSTOMER_MANAGED_KEY_CONDITION: Final = "UseCustomerManagedKey"

# Guard rails: who may reach the table, alarms, the dashboard, hot-key insight.
TRUSTED_ACCOUNTS_PARAMETER: Final = "TrustedAccountIds"
TRUST_OTHER_ACCOUNTS_CONDITION: Final = "TrustOtherAccounts"
ALARM_TOPIC_PARAMETER: Final = "AlarmTopicArn"
ALARMS_CONDITION: Final = "CreateAlarms"
THROTTLE_THRESHOLD_PARAMETER: Final = "ThrottleAlarmThreshold"
SYSTEM_ERRORS_THRESHOLD_PARAMETER: Final = "SystemErrorsAlarmThreshold"
LATENCY_THRESHOLD_PARAMETER: Final = "LatencyAlarmThresholdMs"
DASHBOARD_PARAMETER: Final = "CreateDashboard"
DASHBOARD_CONDITION: Final = "DashboardEnabled"
CONTRIBUTOR_INSIGHTS_PARAMETER: Final = "ContributorInsights"
CONTRIBUTOR_INSIGHTS_CONDITION: Final = "ContributorInsightsEnabled"
DASHBOARD_RESOURCE: Final = "Dashboard"
REPLICA_REGIONS_PARAMETER: Final = "ReplicaRegions"

# What caps the cost and what the table is ready for (kvtable/builders/throughput.py).
MAX_READ_PARAMETER: Final = "MaxReadRequestUnits"
MAX_WRITE_PARAMETER: Final = "MaxWriteRequestUnits"
GSI_MAX_READ_PARAMETER: Final = "GsiMaxReadRequestUnits"
GSI_MAX_WRITE_PARAMETER: Final = "GsiMaxWriteRequestUnits"
WARM_READ_PARAMETER: Final = "WarmReadUnitsPerSecond"
WARM_WRITE_PARAMETER: Final = "WarmWriteUnitsPerSecond"
CONTRIBUTOR_INSIGHTS_MODE_PARAMETER: Final = "ContributorInsightsMode"
RECOVERY_PERIOD_PARAMETER: Final = "RecoveryPeriodInDays"
TABLE_CAP_CONDITION: Final = "CapTableThroughput"
GSI_CAP_CONDITION: Final = "CapGsiThroughput"
WARM_THROUGHPUT_CONDITION: Final = "SetWarmThroughput"
THROTTLED_KEYS_CONDITION: Final = "ContributorInsightsThrottledKeysOnly"
SHORTER_RECOVERY_CONDITION: Final = "ShorterRecoveryPeriod"
# AWS's documented floor for an on-demand table's warm throughput: every new on-demand table starts
# with 12,000 reads and 4,000 writes a second, and a lower value is refused. Here, not in
# throughput.py, because cfn_rules/ reads them too and must not import troposphere.
WARM_READ_MINIMUM: Final = 12000
WARM_WRITE_MINIMUM: Final = 4000
GLOBAL_TABLE_TYPE: Final = "AWS::DynamoDB::GlobalTable"
TABLE_TYPES: Final = (TABLE_TYPE, GLOBAL_TABLE_TYPE)
ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"

OUTPUT_TABLE_NAME: Final = "TableName"
OUTPUT_TABLE_ARN: Final = "TableArn"
OUTPUT_GSI_NAME: Final = "GsiName"
OUTPUT_READ_POLICY_ARN: Final = "ReadPolicyArn"
OUTPUT_READ_WRITE_POLICY_ARN: Final = "ReadWritePolicyArn"
OUTPUT_DASHBOARD_NAME: Final = "DashboardName"
OUTPUT_REPLICA_REGIONS: Final = "ReplicaRegions"

DATABASE_OUTPUTS: Final = (
    OUTPUT_TABLE_NAME,
    OUTPUT_TABLE_ARN,
    OUTPUT_GSI_NAME,
    OUTPUT_READ_POLICY_ARN,
    OUTPUT_READ_WRITE_POLICY_ARN,
)

DEFAULT_STACK_NAME: Final = "KVDatabaseStack"


def export_name(stack_name: str, output: str) -> str:
    """The export name of an output: `<stack name>-<output>`."""
    return f"{stack_name}-{output}"


def sub_variable(name: str) -> str:
    """`${name}`, a variable inside an Fn::Sub string."""
    return "${" + name + "}"


# The operations whose latency the template alarms on: those the contract uses.
LATENCY_OPERATIONS = ("GetItem", "Query", "UpdateItem", "TransactWriteItems", "BatchWriteItem")
# AWS's recommended alarms the database template creates, by logical id (cfn/guardrails.py builds each;
# its tests check it builds these): the cost model counts them without importing troposphere.
RECOMMENDED_ALARMS = (
    "ReadThrottleEventsAlarm",
    "WriteThrottleEventsAlarm",
    "IndexReadThrottleEventsAlarm",
    "IndexWriteThrottleEventsAlarm",
    "SystemErrorsAlarm",
    *(f"{operation}LatencyAlarm" for operation in LATENCY_OPERATIONS),
)
