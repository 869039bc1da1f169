"""The database stack: the table, its GSI, the two managed policies and the exports."""

from troposphere import (
    Export,
    GetAtt,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
)
from troposphere import dynamodb as ddb
from troposphere.iam import ManagedPolicy

from iam.policies import read_policy_document, read_write_policy_document
from kvtable import key_design as kd
from kvtable.cfn import names


def _name_parameter(title: str, default: str, what: str) -> Parameter:
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


def _string_attribute(name: str) -> ddb.AttributeDefinition:
    return ddb.AttributeDefinition(AttributeName=name, AttributeType="S")


def _key_schema(partition: str, sort: str) -> list[ddb.KeySchema]:
    return [
        ddb.KeySchema(AttributeName=partition, KeyType="HASH"),
        ddb.KeySchema(AttributeName=sort, KeyType="RANGE"),
    ]


def _table(table_name: Parameter, gsi_name: Parameter) -> ddb.Table:
    return ddb.Table(
        names.TABLE_RESOURCE,
        # Retain on delete and on replacement: the table holds every customer's data.
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        TableName=Ref(table_name),
        AttributeDefinitions=[_string_attribute(a) for a in kd.KEY_ATTRIBUTES],
        KeySchema=_key_schema(kd.PARTITION_KEY, kd.SORT_KEY),
        BillingMode="PAY_PER_REQUEST",
        PointInTimeRecoverySpecification=ddb.PointInTimeRecoverySpecification(
            PointInTimeRecoveryEnabled=True
        ),
        # SSEEnabled with no key id means the AWS-managed key (alias/aws/dynamodb),
        # as the CDK's TableEncryption.AWS_MANAGED; omitting it means the AWS-owned key.
        SSESpecification=ddb.SSESpecification(SSEEnabled=True),
        TimeToLiveSpecification=ddb.TimeToLiveSpecification(AttributeName=kd.TTL_ATTRIBUTE, Enabled=True),
        DeletionProtectionEnabled=True,
        GlobalSecondaryIndexes=[
            ddb.GlobalSecondaryIndex(
                IndexName=Ref(gsi_name),
                KeySchema=_key_schema(kd.GSI1_PARTITION_KEY, kd.GSI1_SORT_KEY),
                Projection=ddb.Projection(ProjectionType="ALL"),
            )
        ],
    )


def _export(title: str, description: str, value: object) -> Output:
    return Output(
        title,
        Description=description,
        Value=value,
        Export=Export(Sub(names.sub_variable("AWS::StackName") + "-" + title)),
    )


def build_database_template() -> Template:
    """The database stack's template."""
    template = Template(
        Description="kvtable: the single-table DynamoDB database of the key-value storage service"
    )
    template.set_version("2010-09-09")
    table_name = template.add_parameter(
        _name_parameter(names.TABLE_NAME_PARAMETER, kd.DEFAULT_TABLE_NAME, "Name of the DynamoDB table")
    )
    gsi_name = template.add_parameter(
        _name_parameter(names.GSI_NAME_PARAMETER, kd.DEFAULT_GSI_NAME, "Name of the global secondary index")
    )
    table = template.add_resource(_table(table_name, gsi_name))

    table_arn = GetAtt(table, "Arn")
    index_arn = Sub(
        names.sub_variable(f"{names.TABLE_RESOURCE}.Arn")
        + "/index/"
        + names.sub_variable(names.GSI_NAME_PARAMETER)
    )
    resources = [table_arn, index_arn]
    read_policy = template.add_resource(
        ManagedPolicy(
            names.READ_POLICY_RESOURCE,
            Description="kvtable: read items of the table and its GSI (get, batch get, query), over TLS only",
            PolicyDocument=read_policy_document(resources),
        )
    )
    read_write_policy = template.add_resource(
        ManagedPolicy(
            names.READ_WRITE_POLICY_RESOURCE,
            Description="kvtable: read and write items of the table and its GSI, over TLS only",
            PolicyDocument=read_write_policy_document(resources),
        )
    )

    template.add_output(
        [
            _export(names.OUTPUT_TABLE_NAME, "Name of the DynamoDB table", Ref(table)),
            _export(names.OUTPUT_TABLE_ARN, "ARN of the DynamoDB table", table_arn),
            _export(names.OUTPUT_GSI_NAME, "Name of the global secondary index", Ref(gsi_name)),
            _export(names.OUTPUT_READ_POLICY_ARN, "ARN of the read-only managed policy", Ref(read_policy)),
            _export(
                names.OUTPUT_READ_WRITE_POLICY_ARN,
                "ARN of the read/write managed policy",
                Ref(read_write_policy),
            ),
        ]
    )
    return template
