"""The global-table variant of the database stack: the same key design, policies and exports,
as an AWS::DynamoDB::GlobalTable with one replica per region of the ReplicaRegions parameter.

CloudFormation has no loop without a transform, so the replicas are MAX_REPLICAS slots, each
present when the list has that many regions: the list is padded with empty entries, so that
selecting a slot past its end yields "" instead of failing.
"""

from collections.abc import Callable

from troposphere import (
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    Output,
    Parameter,
    Ref,
    Select,
    Split,
    Sub,
    Template,
    iam,
)
from troposphere import dynamodb as ddb

from kvtable.builders import throughput
from kvtable.builders.database import (
    add_managed_policies,
    contributor_insights,
    exported_table_outputs,
    index_keys,
    name_parameter,
    retained_table_keys,
)
from kvtable.builders.guardrails import (
    allowed_accounts,
    contributor_insights_parameter,
    trusted_accounts_parameter,
)
from kvtable.cfn import names
from kvtable.iam.policies import Resource, read_policy_document, read_write_policy_document
from kvtable.iam.table_policy import table_resource_policy_document
from kvtable.schema import key_design as kd

MAX_REPLICAS = 5
REGION_IN_ARN = "arn:${AWS::Partition}:dynamodb:${Region}:${AWS::AccountId}:table/"


def replica_slot_condition(slot: int) -> str:
    """The condition that slot `slot` (from 1) holds a region."""
    return f"HasReplica{slot}"


def _region(slot: int) -> Select:
    padded = Split(",", Join("", [Join(",", Ref(names.REPLICA_REGIONS_PARAMETER)), "," * MAX_REPLICAS]))
    return Select(slot - 1, padded)


def _arn_in(slot: int, suffix: str = "") -> Sub:
    return Sub(
        REGION_IN_ARN + names.sub_variable(names.TABLE_NAME_PARAMETER) + suffix,
        Region=_region(slot),
    )


def _in_each_replica(make: Callable[[int], object]) -> list[object]:
    """One entry per replica slot: the first always (the list holds the stack's own region), each
    other only where the slot holds a region."""
    return [make(1)] + [
        If(replica_slot_condition(slot), make(slot), Ref("AWS::NoValue"))
        for slot in range(2, MAX_REPLICAS + 1)
    ]


def _replica(slot: int, gsi_name: Parameter, trusted: Parameter) -> ddb.ReplicaSpecification:
    table_arn, index_arns = _arn_in(slot), _arn_in(slot, "/index/*")
    document = table_resource_policy_document([table_arn, index_arns], table_arn, allowed_accounts(trusted))
    return ddb.ReplicaSpecification(
        Region=_region(slot),
        PointInTimeRecoverySpecification=throughput.point_in_time_recovery(),
        DeletionProtectionEnabled=True,
        # A global table caps reads per replica and writes for the whole table (they replicate).
        ReadOnDemandThroughputSettings=throughput.read_cap(on_index=False),
        ContributorInsightsSpecification=contributor_insights(),
        GlobalSecondaryIndexes=[
            ddb.ReplicaGlobalSecondaryIndexSpecification(
                IndexName=Ref(gsi_name),
                ReadOnDemandThroughputSettings=throughput.read_cap(on_index=True),
                ContributorInsightsSpecification=contributor_insights(),
            )
        ],
        # troposphere types this property as a plain dict; awacs objects inside it render as usual.
        ResourcePolicy=ddb.ResourcePolicy(PolicyDocument=document.JSONrepr()),
    )


def build_global_database_template() -> Template:
    """The global-table database stack's template."""
    template = Template(
        Description="kvtable: the single-table DynamoDB database of the key-value storage service, "
        "as a global table replicated to the regions of ReplicaRegions"
    )
    template.set_version("2010-09-09")
    table_name, gsi_name, trusted = _add_parameters(template)
    _add_replica_rules(template)
    table = template.add_resource(_global_table(table_name, gsi_name, trusted))
    read_policy, read_write_policy = _add_policies(template)
    template.add_output(
        [
            *exported_table_outputs(
                table,
                GetAtt(table, "Arn"),
                "ARN of the table in this region",
                gsi_name,
                (read_policy, read_write_policy),
            ),
            Output(
                names.OUTPUT_REPLICA_REGIONS,
                Description="The regions the table is replicated to",
                Value=Join(",", Ref(names.REPLICA_REGIONS_PARAMETER)),
            ),
        ]
    )
    return template


def _add_parameters(template: Template) -> tuple[Parameter, Parameter, Parameter]:
    """The stack's parameters; the table name's, the index name's and the trusted accounts'."""
    table_name = template.add_parameter(
        name_parameter(names.TABLE_NAME_PARAMETER, kd.DEFAULT_TABLE_NAME, "Name of the DynamoDB table")
    )
    gsi_name = template.add_parameter(
        name_parameter(names.GSI_NAME_PARAMETER, kd.DEFAULT_GSI_NAME, "Name of the global secondary index")
    )
    template.add_parameter(
        Parameter(
            names.REPLICA_REGIONS_PARAMETER,
            Type="CommaDelimitedList",
            Default="us-east-1",
            Description=f"The regions the table lives in, comma-separated, the stack's own among them "
            f"(at most {MAX_REPLICAS}). Add or remove one region per update.",
        )
    )
    trusted = trusted_accounts_parameter(template)
    contributor_insights_parameter(template)
    throughput.add_throughput_parameters(template)
    return table_name, gsi_name, trusted


def _add_replica_rules(template: Template) -> None:
    """A condition per replica slot past the first, and the rule that the stack's region is a replica."""
    for slot in range(2, MAX_REPLICAS + 1):
        template.add_condition(replica_slot_condition(slot), Not(Equals(_region(slot), "")))
    template.add_rule(
        "StackRegionIsAReplica",
        {
            "Assertions": [
                {
                    "Assert": {"Fn::Contains": [Ref(names.REPLICA_REGIONS_PARAMETER), Ref("AWS::Region")]},
                    "AssertDescription": "ReplicaRegions must include the region the stack is deployed in",
                }
            ]
        },
    )


def _global_table(table_name: Parameter, gsi_name: Parameter, trusted: Parameter) -> ddb.GlobalTable:
    return ddb.GlobalTable(
        names.TABLE_RESOURCE,
        **retained_table_keys(table_name),
        # Every replica shares one billing mode, and the resource's default is provisioned.
        BillingMode="PAY_PER_REQUEST",
        # Eventually consistent global tables with more than one replica require a stream.
        StreamSpecification=ddb.StreamSpecification(StreamViewType="NEW_AND_OLD_IMAGES"),
        SSESpecification=ddb.GlobalTableSSESpecification(SSEEnabled=True),
        WriteOnDemandThroughputSettings=throughput.write_cap(on_index=False),
        WarmThroughput=throughput.warm_throughput(),
        TimeToLiveSpecification=ddb.TimeToLiveSpecification(AttributeName=kd.TTL_ATTRIBUTE, Enabled=True),
        GlobalSecondaryIndexes=[
            ddb.GlobalTableGlobalSecondaryIndex(
                **index_keys(gsi_name),
                WriteOnDemandThroughputSettings=throughput.write_cap(on_index=True),
            )
        ],
        Replicas=_in_each_replica(lambda slot: _replica(slot, gsi_name, trusted)),
    )


def _add_policies(template: Template) -> tuple[iam.ManagedPolicy, iam.ManagedPolicy]:
    """The read and read-write managed policies, over the table and its index in every replica region."""
    resources: list[Resource] = [
        *_in_each_replica(_arn_in),
        *_in_each_replica(
            lambda slot: _arn_in(slot, "/index/" + names.sub_variable(names.GSI_NAME_PARAMETER))
        ),
    ]
    return add_managed_policies(
        template,
        read_policy_document(resources),
        read_write_policy_document(resources),
        "the global table and its GSI in every replica region",
    )
