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

OUTPUT_TABLE_NAME: Final = "TableName"
OUTPUT_TABLE_ARN: Final = "TableArn"
OUTPUT_GSI_NAME: Final = "GsiName"
OUTPUT_READ_POLICY_ARN: Final = "ReadPolicyArn"
OUTPUT_READ_WRITE_POLICY_ARN: Final = "ReadWritePolicyArn"

DATABASE_OUTPUTS: Final = (
    OUTPUT_TABLE_NAME,
    OUTPUT_TABLE_ARN,
    OUTPUT_GSI_NAME,
    OUTPUT_READ_POLICY_ARN,
    OUTPUT_READ_WRITE_POLICY_ARN,
)

DEFAULT_STACK_NAME: Final = "KVDatabaseStack"
DEFAULT_CONSUMER_STACK_NAME: Final = "KVAppStack"


def export_name(stack_name: str, output: str) -> str:
    """The export name of an output: `<stack name>-<output>`."""
    return f"{stack_name}-{output}"


def sub_variable(name: str) -> str:
    """`${name}`, a variable inside an Fn::Sub string."""
    return "${" + name + "}"
