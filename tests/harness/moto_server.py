"""moto's server, with three CloudFormation behaviours AWS has and moto 5.2.5 lacks.

TEST HARNESS ONLY: the product never imports this. It runs in its own process
and is driven over HTTP with boto3, exactly like AWS. Added here:
- after a change set executes, the stack's outputs and exports are recomputed
  (moto leaves a stack created through a change set with none);
- UpdateTerminationProtection (moto answers HTTP 500);
- ListImports, computed from the stacks' Fn::ImportValue (moto has none), with
  AWS's ValidationError when nothing imports the export;
- a change set whose execution fails rolls the stack back (ROLLBACK_COMPLETE or
  UPDATE_ROLLBACK_COMPLETE, with a reason in the events) as on AWS, where moto
  raises an error from ExecuteChangeSet instead;
- a resource type moto cannot update (AWS::DynamoDB::Table) keeps its resource,
  where moto would lose it and fail the next Fn::GetAtt; the change itself is applied
  to the table by tests/harness/table_updates.py, following CloudFormation's
  documented rules (an import changes nothing, an update applies the difference);
- UpdateTable's SSESpecification (moto ignores it): enabling SSE without a key uses
  the AWS-managed key aws/dynamodb, as on AWS; with KMSMasterKeyId, that key;
- IMPORT change sets, minimally (moto treats one as a create and ignores
  ResourcesToImport): on an existing stack the change set updates it; the tables named
  in ResourcesToImport are taken over as they are instead of created; the stack ends
  IMPORT_COMPLETE with IMPORT_* stack events;
- a resource with DeletionPolicy Retain that an update removes from the template is
  left as it is, outside the stack, as AWS does (moto deletes it);
- an update of an AWS::IAM::ManagedPolicy's document becomes the policy's new default
  version, as on AWS (moto keeps the old document);
- DescribeStackResources by PhysicalResourceId alone answers the stack that holds the
  resource, or AWS's ValidationError "Stack for <id> does not exist" (moto needs StackName);
- drift detection (DetectStackDrift, DescribeStackDriftDetectionStatus, DescribeStackResourceDrifts)
  for the stack's tables, by tests/harness/stack_drift.py, where moto answers HTTP 500;
- Export to S3 laid out as AWS documents it (manifests, data files, the export's ARN and
  DescribeExport's ExportManifest and times), by tests/harness/table_exports.py.
"""

import json
import sys
from typing import Any, cast

from moto.cloudformation import models, parsing, responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.server import main

from kvtable.cfn.intrinsics import resolve
from tests.harness import stack_drift, table_exports, table_updates

_original_execute = models.CloudFormationBackend.execute_change_set


def _execute_change_set(
    self: models.CloudFormationBackend, change_set_name: str, stack_name: str | None = None
) -> None:
    change_set = self.change_sets.get(change_set_name) or next(
        cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name
    )
    stack = self.stacks[change_set.stack_id]
    _IMPORTING.clear()
    _IMPORTING.update(getattr(change_set, "resources_to_import", {}))
    # moto gives a stack created by a change set no view of other stacks' exports.
    stack.cross_stack_resources = self.exports
    stack.resource_map.cross_stack_resources = self.exports
    try:
        _original_execute(self, change_set_name, stack_name)
    except Exception as error:  # as on AWS: the execution is accepted, then rolls back
        creating = change_set.change_set_type == "CREATE"
        reason = getattr(error, "message", None) or str(error)
        stack._add_stack_event(
            "ROLLBACK_IN_PROGRESS" if creating else "UPDATE_ROLLBACK_IN_PROGRESS",
            resource_status_reason=f"Resource creation or update failed: {reason}",
        )
        stack.status = "ROLLBACK_COMPLETE" if creating else "UPDATE_ROLLBACK_COMPLETE"
        if creating:
            # A rolled-back create holds nothing (moto would re-create its resources when listed).
            stack.resource_map._resource_json_map = {}
        stack._add_stack_event(stack.status)
        change_set.execution_status = "EXECUTE_FAILED"
        return
    if change_set.change_set_type == "IMPORT":
        _IMPORTING.clear()
        for event in stack.events[-2:]:
            if event.logical_resource_id == stack.name:
                event.resource_status = event.resource_status.replace("UPDATE_", "IMPORT_")
    # The stack's exports so far (read from the backend: its old outputs may name removed resources).
    for name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
        self.exports.pop(name)
    # moto sets the stack's template text but keeps the old parsed template: parse the new one.
    stack.template_dict = change_set.template_dict
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        self.exports[export.name] = export


def _import_names(value: Any, parameters: dict[str, Any], stack_name: str) -> list[str]:
    names: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::ImportValue":
                resolved = resolve(inner, {k: str(v) for k, v in parameters.items()}, stack_name)
                if isinstance(resolved, str):
                    names.append(resolved)
            else:
                names += _import_names(inner, parameters, stack_name)
    elif isinstance(value, list):
        for inner in value:
            names += _import_names(inner, parameters, stack_name)
    return names


def _list_imports(self: responses.CloudFormationResponse) -> ActionResult:
    export_name = self._get_param("ExportName")
    backend = self.cloudformation_backend
    importers = sorted(
        stack.name
        for stack in backend.stacks.values()
        if stack.status != "DELETE_COMPLETE"
        and export_name in _import_names(stack.template_dict, stack.stack_parameters, stack.name)
    )
    if not importers:
        raise ValidationError(message=f"Export '{export_name}' is not imported by any stack.")
    return ActionResult({"Imports": importers})


_original_describe_stack_resources = responses.CloudFormationResponse.describe_stack_resources


def _describe_stack_resources(self: responses.CloudFormationResponse) -> ActionResult:
    physical_id = self._get_param("PhysicalResourceId")
    if self._get_param("StackName") or not physical_id:
        return _original_describe_stack_resources(self)
    for stack in self.cloudformation_backend.stacks.values():
        # Only the resources the stack has created: listing the others would create them.
        created = [
            resource
            for logical_id, resource in stack.resource_map._parsed_resources.items()
            if logical_id in stack.resource_map._resource_json_map
        ]
        held = [r for r in created if getattr(r, "physical_resource_id", None) == physical_id]
        if held and stack.status != "DELETE_COMPLETE":
            return ActionResult({"StackResources": [responses.StackResourceDTO(stack, r) for r in held]})
    raise ValidationError(message=f"Stack for {physical_id} does not exist")


def _update_termination_protection(self: responses.CloudFormationResponse) -> ActionResult:
    stack = self.cloudformation_backend.describe_stacks(self._get_param("StackName"))[0]
    stack.enable_termination_protection = (
        str(self._get_param("EnableTerminationProtection")).lower() == "true"
    )
    return ActionResult({"StackId": stack.stack_id})


_original_update = parsing.parse_and_update_resource


def _update_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, **kwargs: Any
) -> Any:
    updated = _original_update(logical_id, resource_json, resources_map, **kwargs)
    if updated is not None:
        return updated
    kept = resources_map[logical_id]
    if resource_json.get("Type") == "AWS::IAM::ManagedPolicy":
        # As on AWS: a new document becomes the policy's new default version.
        document = json.dumps(
            parsing.clean_json(resource_json["Properties"]["PolicyDocument"], resources_map)
        )
        iam = iam_backends[kwargs["account_id"]]["aws"]
        default = iam.get_policy_version(kept.arn, iam.get_policy(kept.arn).default_version_id)
        if json.loads(default.document) != json.loads(document):
            iam.create_policy_version(kept.arn, document, set_as_default=True)
    return kept


# Logical id -> resource identifier of the resources the executing IMPORT change set takes over.
_IMPORTING: dict[str, dict[str, str]] = {}
_original_create_change_set = models.CloudFormationBackend.create_change_set
_original_create_change_set_response = responses.CloudFormationResponse.create_change_set
_original_create = parsing.parse_and_create_resource
_original_delete_resource = parsing.ResourceMap._delete_resource


def _create_change_set(self: models.CloudFormationBackend, *args: Any, **kwargs: Any) -> tuple[str, str]:
    if kwargs.get("change_set_type") != "IMPORT":
        return _original_create_change_set(self, *args, **kwargs)
    name = kwargs["stack_name"]
    exists = any(s.name == name and s.status != "DELETE_COMPLETE" for s in self.stacks.values())
    change_set_id, stack_id = _original_create_change_set(
        self, *args, **{**kwargs, "change_set_type": "UPDATE" if exists else "CREATE"}
    )
    self.change_sets[change_set_id].change_set_type = "IMPORT"
    return change_set_id, stack_id


def _create_change_set_response(self: responses.CloudFormationResponse) -> ActionResult:
    result = _original_create_change_set_response(self)
    to_import = self._get_param("ResourcesToImport", [])
    if to_import:
        change_set = self.cloudformation_backend.change_sets[cast(dict[str, str], result.result)["Id"]]
        change_set.resources_to_import = {  # type: ignore[attr-defined]
            r["LogicalResourceId"]: r["ResourceIdentifier"] for r in to_import
        }
    return result


def _create_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    identifier = _IMPORTING.get(logical_id)
    if identifier is None or resource_json.get("Type") != "AWS::DynamoDB::Table":
        return _original_create(logical_id, resource_json, resources_map, account_id, region_name)
    table = dynamodb_backends[account_id][region_name].get_table(identifier["TableName"])
    table.cf_resource_type = resource_json["Type"]  # type: ignore[attr-defined]
    table.logical_resource_id = logical_id  # type: ignore[attr-defined]
    return table


def _delete_resource(self: parsing.ResourceMap, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    if resource_json.get("DeletionPolicy") == "Retain":
        # As on AWS: the resource stays as it is, and only leaves the stack.
        for logical_id, parsed in list(self._parsed_resources.items()):
            if parsed is parsed_resource:
                del self._parsed_resources[logical_id]
        return
    _original_delete_resource(self, parsed_resource, resource_json)


_original_update_table = dynamodb_responses.DynamoHandler.update_table


def _update_table(self: dynamodb_responses.DynamoHandler) -> ActionResult:
    sse = self.body.get("SSESpecification")
    if sse is not None:
        table = self.dynamodb_backend.get_table(self.body["TableName"])
        table_updates.set_encryption(table, self.current_account, self.region, sse)
    return _original_update_table(self)


parsing.parse_and_update_resource = _update_resource  # type: ignore[assignment]
parsing.parse_and_create_resource = _create_resource
parsing.ResourceMap._delete_resource = _delete_resource  # type: ignore[method-assign]
models.CloudFormationBackend.create_change_set = _create_change_set  # type: ignore[method-assign]
responses.CloudFormationResponse.create_change_set = _create_change_set_response  # type: ignore[method-assign]
dynamodb_responses.DynamoHandler.update_table = _update_table  # type: ignore[method-assign]
models.CloudFormationBackend.execute_change_set = _execute_change_set  # type: ignore[method-assign]
responses.CloudFormationResponse.list_imports = _list_imports  # type: ignore[attr-defined]
responses.CloudFormationResponse.describe_stack_resources = _describe_stack_resources  # type: ignore[method-assign]
responses.CloudFormationResponse.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]
table_updates.install()
stack_drift.install()
table_exports.install()

if __name__ == "__main__":
    main(sys.argv[1:])
