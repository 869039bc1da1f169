"""The database stack: the table, its GSI, the two managed policies and the exports."""

from collections.abc import Callable
from typing import Any

from troposphere import (
    Equals,
    Export,
    GetAtt,
    If,
    Not,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
)
from troposphere import dynamodb as ddb
from troposphere.iam import ManagedPolicy

from kvtable.builders import throughput
from kvtable.builders.guardrails import (
    add_alarms,
    add_dashboard,
    allowed_accounts,
    contributor_insights_parameter,
    trusted_accounts_parameter,
)
from kvtable.cfn import names
from kvtable.iam.policies import TableKey, read_policy_document, read_write_policy_document
from kvtable.iam.table_policy import table_resource_policy_document
from kvtable.schema import key_design as kd


def name_parameter(title: str, default: str, what: str) -> Parameter:
    """A name parameter with DynamoDB's own naming rule as its constraint."""
    # The same rule DynamoDB enforces, so CloudFormation refuses a bad value
    # before it creates anything.
    return Parameter(
        title,
        Type="String",
        Default=default,
        AllowedPattern=kd.NAME_PATTERN,
        MinLength=kd.NAME_MIN_LENGTH,
        MaxLength=kd.NAME_MAX_LENGTH,
        Description=f"{what} (3 to 255 characters of a-z, A-Z, 0-9, '_', '.', '-').",
        ConstraintDescription="must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '.' or '-'",
    )


# A KMS key ARN in any partition, or empty for the AWS-managed key.
KMS_KEY_ARN_PATTERN = "^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]{1,128})?$"


# The design asks for the AWS-managed key; a customer-managed key is the opt-in KmsKeyArn.
CHECKOV_CUSTOMER_MANAGED_KEY_SKIP = {
    "id": "CKV_AWS_119",
    "comment": "The design asks for the AWS-managed KMS key; a customer-managed key is opt-in via KmsKeyArn",
}


def kms_key_parameter() -> Parameter:
    """KmsKeyArn: empty for the AWS-managed key, or a customer-managed key's ARN."""
    return Parameter(
        names.KMS_KEY_PARAMETER,
        Type="String",
        Default="",
        AllowedPattern=KMS_KEY_ARN_PATTERN,
        MaxLength=2048,
        Description="ARN of a customer-managed KMS key for the table; empty (default) uses the AWS-managed key.",
        ConstraintDescription="must be empty or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)",
    )


def string_attribute(name: str) -> ddb.AttributeDefinition:
    """A string key attribute."""
    return ddb.AttributeDefinition(AttributeName=name, AttributeType="S")


def key_schema(partition: str, sort: str) -> list[ddb.KeySchema]:
    """A HASH and RANGE key schema."""
    return [
        ddb.KeySchema(AttributeName=partition, KeyType="HASH"),
        ddb.KeySchema(AttributeName=sort, KeyType="RANGE"),
    ]


def _encryption(kms_key: Parameter) -> ddb.SSESpecification:
    # SSEEnabled with no key id means the AWS-managed key (alias/aws/dynamodb), as the CDK's
    # TableEncryption.AWS_MANAGED; omitting it would mean the AWS-owned key. The choice of key sits
    # on the key id and SSEType alone, so SSEEnabled is always visible to static checks such as
    # AWS Control Tower's CT.DYNAMODB.PR.2, which cannot look inside an Fn::If.
    def with_key(value: object) -> If:
        return If(names.CUSTOMER_MANAGED_KEY_CONDITION, value, Ref("AWS::NoValue"))

    return ddb.SSESpecification(
        SSEEnabled=True, SSEType=with_key("KMS"), KMSMasterKeyId=with_key(Ref(kms_key))
    )


def contributor_insights() -> If:
    """Contributor Insights when its parameter turns it on; nothing otherwise."""
    return If(
        names.CONTRIBUTOR_INSIGHTS_CONDITION,
        ddb.ContributorInsightsSpecification(Enabled=True, Mode=throughput.contributor_insights_mode()),
        Ref("AWS::NoValue"),
    )


def resource_policy(trusted: Parameter) -> ddb.ResourcePolicy:
    # ARNs built from the parameters, not GetAtt on the table itself: a table's policy that refers
    # to the table's own Arn is a circular dependency (aws/aws-cdk#35967).
    table_arn = Sub(
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
        + names.sub_variable(names.TABLE_NAME_PARAMETER)
    )
    index_arns = Sub(
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
        + names.sub_variable(names.TABLE_NAME_PARAMETER)
        + "/index/*"
    )
    document = table_resource_policy_document([table_arn, index_arns], table_arn, allowed_accounts(trusted))
    # troposphere types this property as a plain dict; awacs objects inside it render as usual.
    return ddb.ResourcePolicy(PolicyDocument=document.JSONrepr())


def retained_table_keys(table_name: Parameter) -> dict[str, Any]:
    """What every variant of the table shares: kept on delete and replacement, its name, and its keys."""
    return {
        # Retain on delete and on replacement: the table holds every customer's data.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "TableName": Ref(table_name),
        "AttributeDefinitions": [string_attribute(a) for a in kd.KEY_ATTRIBUTES],
        "KeySchema": key_schema(kd.PARTITION_KEY, kd.SORT_KEY),
    }


def index_keys(gsi_name: Parameter) -> dict[str, Any]:
    """What every variant of the GSI shares: its name, its keys, and every attribute projected."""
    return {
        "IndexName": Ref(gsi_name),
        "KeySchema": key_schema(kd.GSI1_PARTITION_KEY, kd.GSI1_SORT_KEY),
        "Projection": ddb.Projection(ProjectionType="ALL"),
    }


def _table(table_name: Parameter, gsi_name: Parameter, kms_key: Parameter, trusted: Parameter) -> ddb.Table:
    return ddb.Table(
        names.TABLE_RESOURCE,
        Metadata={"checkov": {"skip": [CHECKOV_CUSTOMER_MANAGED_KEY_SKIP]}},
        **retained_table_keys(table_name),
        BillingMode="PAY_PER_REQUEST",
        OnDemandThroughput=throughput.on_demand_throughput(on_index=False),
        WarmThroughput=throughput.warm_throughput(),
        PointInTimeRecoverySpecification=throughput.point_in_time_recovery(),
        SSESpecification=_encryption(kms_key),
        TimeToLiveSpecification=ddb.TimeToLiveSpecification(AttributeName=kd.TTL_ATTRIBUTE, Enabled=True),
        DeletionProtectionEnabled=True,
        ResourcePolicy=resource_policy(trusted),
        ContributorInsightsSpecification=contributor_insights(),
        GlobalSecondaryIndexes=[
            ddb.GlobalSecondaryIndex(
                **index_keys(gsi_name),
                OnDemandThroughput=throughput.on_demand_throughput(on_index=True),
                ContributorInsightsSpecification=contributor_insights(),
            )
        ],
    )


def add_managed_policies(
    template: Template, read_document: object, read_write_document: object, scope: str
) -> tuple[ManagedPolicy, ManagedPolicy]:
    """The read and the read/write managed policies, over `scope` (said in their descriptions)."""
    read_policy = template.add_resource(
        ManagedPolicy(
            names.READ_POLICY_RESOURCE,
            Description=f"kvtable: read items of {scope} (get, batch get, query), over TLS only",
            PolicyDocument=read_document,
        )
    )
    read_write_policy = template.add_resource(
        ManagedPolicy(
            names.READ_WRITE_POLICY_RESOURCE,
            Description=f"kvtable: read and write items of {scope}, over TLS only",
            PolicyDocument=read_write_document,
        )
    )
    return read_policy, read_write_policy


def exported_output(title: str, description: str, value: object) -> Output:
    """An output exported as `<stack name>-<title>`, the name consuming stacks import."""
    return Output(
        title,
        Description=description,
        Value=value,
        Export=Export(Sub(names.sub_variable("AWS::StackName") + "-" + title)),
    )


def exported_table_outputs(
    table: object,
    table_arn: object,
    table_arn_description: str,
    gsi_name: object,
    policies: tuple[object, object],
) -> list[Output]:
    """The five exports every database template gives consuming stacks, under the same names."""
    read_policy, read_write_policy = policies
    return [
        exported_output(names.OUTPUT_TABLE_NAME, "Name of the DynamoDB table", Ref(table)),
        exported_output(names.OUTPUT_TABLE_ARN, table_arn_description, table_arn),
        exported_output(names.OUTPUT_GSI_NAME, "Name of the global secondary index", Ref(gsi_name)),
        exported_output(
            names.OUTPUT_READ_POLICY_ARN, "ARN of the read-only managed policy", Ref(read_policy)
        ),
        exported_output(
            names.OUTPUT_READ_WRITE_POLICY_ARN, "ARN of the read/write managed policy", Ref(read_write_policy)
        ),
    ]


def build_database_template() -> Template:
    """The database stack's template."""
    template = Template(
        Description="kvtable: the single-table DynamoDB database of the key-value storage service"
    )
    template.set_version("2010-09-09")
    table_name = template.add_parameter(
        name_parameter(names.TABLE_NAME_PARAMETER, kd.DEFAULT_TABLE_NAME, "Name of the DynamoDB table")
    )
    gsi_name = template.add_parameter(
        name_parameter(names.GSI_NAME_PARAMETER, kd.DEFAULT_GSI_NAME, "Name of the global secondary index")
    )
    kms_key = template.add_parameter(kms_key_parameter())
    template.add_condition(names.CUSTOMER_MANAGED_KEY_CONDITION, Not(Equals(Ref(kms_key), "")))
    trusted = trusted_accounts_parameter(template)
    contributor_insights_parameter(template)
    throughput.add_throughput_parameters(template)
    throughput.add_cap_conditions(template)
    table = template.add_resource(_table(table_name, gsi_name, kms_key, trusted))

    table_arn = GetAtt(table, "Arn")
    index_arn = Sub(
        names.sub_variable(f"{names.TABLE_RESOURCE}.Arn")
        + "/index/"
        + names.sub_variable(names.GSI_NAME_PARAMETER)
    )
    resources = [table_arn, index_arn]
    key = TableKey(Ref(kms_key), Sub("dynamodb." + names.sub_variable("AWS::Region") + ".amazonaws.com"))

    def with_key_if_given(document: Callable[..., object]) -> If:
        # awacs takes no Fn::If inside a Statement list, so the whole document is chosen.
        return If(names.CUSTOMER_MANAGED_KEY_CONDITION, document(resources, key), document(resources))

    read_policy, read_write_policy = add_managed_policies(
        template,
        with_key_if_given(read_policy_document),
        with_key_if_given(read_write_policy_document),
        "the table and its GSI",
    )

    add_alarms(template, table, gsi_name)
    add_dashboard(template)
    template.add_output(
        exported_table_outputs(
            table, table_arn, "ARN of the DynamoDB table", gsi_name, (read_policy, read_write_policy)
        )
    )
    return template
