"""An example consumer stack: an application role that imports the database stack's exports."""

from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from troposphere import GetAtt, ImportValue, Output, Parameter, Ref, Sub, Template
from troposphere.iam import Role
from troposphere.ssm import Parameter as SsmParameter

from kvtable.cfn import names

DATABASE_STACK_PARAMETER = "DatabaseStackName"
APP_ROLE_RESOURCE = "AppRole"
TABLE_NAME_SSM_RESOURCE = "TableNameSetting"


def _imported(output: str) -> ImportValue:
    return ImportValue(Sub(names.sub_variable(DATABASE_STACK_PARAMETER) + "-" + output))


def build_consumer_template() -> Template:
    """A stack that attaches the read/write policy to a Lambda role and publishes the table name."""
    template = Template(
        Description="kvtable example consumer: an application role using the database stack's exports"
    )
    template.set_version("2010-09-09")
    template.add_parameter(
        Parameter(
            DATABASE_STACK_PARAMETER,
            Type="String",
            Default=names.DEFAULT_STACK_NAME,
            # CloudFormation's own rule for stack names.
            AllowedPattern="^[a-zA-Z][-a-zA-Z0-9]*$",
            MinLength=1,
            MaxLength=128,
            Description="Name of the deployed kvtable database stack whose exports this stack imports.",
            ConstraintDescription="must be a CloudFormation stack name",
        )
    )
    role = template.add_resource(
        Role(
            APP_ROLE_RESOURCE,
            Description="Application role with read/write access to the kvtable table",
            AssumeRolePolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Effect=Allow,
                        Action=[AssumeRole],
                        Principal=Principal("Service", ["lambda.amazonaws.com"]),
                    )
                ],
            ),
            ManagedPolicyArns=[_imported(names.OUTPUT_READ_WRITE_POLICY_ARN)],
        )
    )
    setting = template.add_resource(
        SsmParameter(
            TABLE_NAME_SSM_RESOURCE,
            Description="The kvtable table name, for the application's configuration",
            # A known name, so the application can read it without knowing this stack's outputs.
            Name=Sub("/kvtable/" + names.sub_variable("AWS::StackName") + "/table-name"),
            Type="String",
            Value=_imported(names.OUTPUT_TABLE_NAME),
        )
    )
    template.add_output(
        [
            Output("AppRoleArn", Description="ARN of the application role", Value=GetAtt(role, "Arn")),
            Output(
                "TableNameSettingName",
                Description="SSM parameter holding the table name",
                Value=Ref(setting),
            ),
        ]
    )
    return template
