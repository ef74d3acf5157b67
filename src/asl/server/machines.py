"""The state machine actions of `asl serve`: state machines, versions, aliases, definition
checks, TestState and tags. `Machines` is the first layer of `Service`.
"""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Mapping
from typing import Any, Final, cast

from ..errors import AslError, DefinitionError, TaskFailed
from ..model import StateMachine
from .protocol import ApiError
from .registry import AliasRecord, MachineRecord, Registry, VersionRecord
from .shapes import (
    ALIAS_NAME,
    PREFIX,
    checked_arn,
    checked_name,
    checked_role,
    definition_message,
    error_fields,
    inspection,
    json_definition,
    json_input,
    now,
    page,
    pick,
    tags_of,
    text_problems,
)


class Machines:
    """State machines and what hangs on them; the attributes are set by `Service`."""

    registry: Registry
    resources: dict[str, Any]
    _parse_type: bool
    _compiled: dict[tuple[str, str], StateMachine]

    # -- state machines ---------------------------------------------------------------------

    async def create_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        name = checked_name(body["name"])
        kind = body.get("type", "STANDARD")
        definition = body["definition"]
        self._compile(definition, kind)
        role = checked_role(body["roleArn"])
        arn = f"{PREFIX}stateMachine:{name}"
        existing = self.registry.machine(arn)
        if existing is not None:
            # AWS answers a repeated, identical request with the machine it made the first time.
            if (existing.definition, existing.role_arn, existing.type) == (definition, role, kind):
                return {"stateMachineArn": arn, "creationDate": existing.created}
            raise ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
        created = now()
        record = MachineRecord(
            arn,
            name,
            definition,
            role,
            kind,
            created,
            created,
            str(uuid.uuid4()),
            body.get("loggingConfiguration") or {"level": "OFF", "includeExecutionData": False},
            body.get("tracingConfiguration") or {"enabled": False},
        )
        self.registry.put_machine(record)
        self.registry.set_tags(arn, tags_of(body.get("tags", [])))
        answer: dict[str, Any] = {"stateMachineArn": arn, "creationDate": created}
        if body.get("publish"):
            answer["stateMachineVersionArn"] = self._publish(record, body.get("versionDescription", "")).arn
        return answer

    async def describe_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = checked_arn(body["stateMachineArn"], "stateMachine")
        version = self.registry.version(arn)
        if version is not None:
            return {
                "stateMachineArn": version.arn,
                "name": version.arn.split(":")[6],
                "status": "ACTIVE",
                "definition": version.definition,
                "roleArn": version.role_arn,
                "type": version.type,
                "creationDate": version.created,
                "revisionId": version.revision_id,
                "description": version.description,
                "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
                "tracingConfiguration": {"enabled": False},
            }
        record = self._machine(arn)
        return {
            "stateMachineArn": record.arn,
            "name": record.name,
            "status": "ACTIVE",
            "definition": record.definition,
            "roleArn": record.role_arn,
            "type": record.type,
            "creationDate": record.created,
            "revisionId": record.revision_id,
            "loggingConfiguration": record.logging,
            "tracingConfiguration": record.tracing,
        }

    async def update_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._machine(checked_arn(body["stateMachineArn"], "stateMachine"))
        changes = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
        if not any(key in body for key in changes):
            raise ApiError(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration "
                "must be specified",
            )
        if "definition" in body:
            self._compile(body["definition"], record.type)
        changed = (body.get("definition", record.definition), body.get("roleArn", record.role_arn)) != (
            record.definition,
            record.role_arn,
        )
        if "definition" in body:
            record.definition = body["definition"]
        if "roleArn" in body:
            record.role_arn = checked_role(body["roleArn"])
        record.logging = body.get("loggingConfiguration", record.logging)
        record.tracing = body.get("tracingConfiguration", record.tracing)
        record.updated = now()
        if changed:
            record.revision_id = str(uuid.uuid4())
        self.registry.put_machine(record)
        answer: dict[str, Any] = {"updateDate": record.updated, "revisionId": record.revision_id}
        if body.get("publish"):
            answer["stateMachineVersionArn"] = self._publish(record, body.get("versionDescription", "")).arn
        return answer

    async def delete_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        # Deleting one that does not exist succeeds, as on AWS; running executions run on.
        self.registry.delete_machine(checked_arn(body["stateMachineArn"], "stateMachine"))
        return {}

    async def list_state_machines(self, body: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"stateMachineArn": r.arn, "name": r.name, "type": r.type, "creationDate": r.created}
            for r in self.registry.machines()
        ]
        return page(body, "stateMachines", items)

    async def validate_state_machine_definition(self, body: dict[str, Any]) -> dict[str, Any]:
        from .. import validate

        # asl.validate reports errors only, so `severity` (the least severity to report) changes nothing.
        problems = text_problems(body["definition"]) or validate(body["definition"])
        diagnostics = [
            {"severity": "ERROR", "code": p.code, "message": p.message, **({"location": p.path} if p.path else {})}
            for p in problems
        ]
        limit = body.get("maxResults") or 100
        return {
            "result": "FAIL" if diagnostics else "OK",
            "diagnostics": diagnostics[:limit],
            "truncated": len(diagnostics) > limit,
        }

    # -- versions and aliases ---------------------------------------------------------------

    async def publish_state_machine_version(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._machine(checked_arn(body["stateMachineArn"], "stateMachine"))
        revision = body.get("revisionId")
        if revision is not None and revision != record.revision_id:
            raise ApiError(
                "ConflictException",
                f"Failed to publish the State Machine version for revision {revision}. The current State "
                f"Machine revision is {record.revision_id}.",
            )
        version = self._publish(record, body.get("description", ""))
        return {"creationDate": version.created, "stateMachineVersionArn": version.arn}

    def _publish(self, record: MachineRecord, description: str) -> VersionRecord:
        versions = self.registry.versions(record.arn)
        if versions and versions[0].revision_id == record.revision_id:
            return versions[0]  # AWS publishes no new version of an unchanged revision
        number = self.registry.next_version_number(record.arn)
        version = VersionRecord(
            f"{record.arn}:{number}",
            record.arn,
            number,
            record.definition,
            record.role_arn,
            record.type,
            now(),
            record.revision_id,
            description,
        )
        self.registry.add_version(version)
        return version

    async def list_state_machine_versions(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = checked_arn(body["stateMachineArn"], "stateMachine")
        items = [{"stateMachineVersionArn": v.arn, "creationDate": v.created} for v in self.registry.versions(arn)]
        return page(body, "stateMachineVersions", items)

    async def delete_state_machine_version(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = checked_arn(body["stateMachineVersionArn"], "stateMachine")
        for alias in self.registry.aliases(arn.rsplit(":", 1)[0]):
            if any(version == arn for version, _ in alias.routing):
                raise ApiError(
                    "ConflictException",
                    f"Version to be deleted must not be referenced by an alias. Current list of aliases "
                    f"referencing this version: [{alias.name}]",
                )
        self.registry.delete_version(arn)
        return {}

    async def create_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["name"]
        if not ALIAS_NAME.fullmatch(name):
            raise ApiError("InvalidName", f"Invalid Name: '{name}'")
        routing = self._routing(body["routingConfiguration"])
        machine_arn = routing[0][0].rsplit(":", 1)[0]
        arn = f"{machine_arn}:{name}"
        existing = self.registry.alias(arn)
        if existing is not None:
            if existing.routing == routing and existing.description == body.get("description", ""):
                return {"stateMachineAliasArn": arn, "creationDate": existing.created}
            raise ApiError("ConflictException", f"Alias already exists: '{arn}'")
        created = now()
        description = body.get("description", "")
        self.registry.put_alias(AliasRecord(arn, machine_arn, name, routing, created, created, description))
        return {"stateMachineAliasArn": arn, "creationDate": created}

    def _routing(self, items: list[dict[str, Any]]) -> list[tuple[str, int]]:
        routing = [(checked_arn(item["stateMachineVersionArn"], "stateMachine"), item["weight"]) for item in items]
        if len({arn.rsplit(":", 1)[0] for arn, _ in routing}) != 1 or len({a for a, _ in routing}) != len(routing):
            raise ApiError(
                "ValidationException", "Routing configuration must contain distinct versions of one state machine."
            )
        for arn, _ in routing:
            if self.registry.version(arn) is None:
                raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        if sum(weight for _, weight in routing) != 100:
            raise ApiError("ValidationException", "Sum of routing configuration weights must be equal to 100.")
        return routing

    async def describe_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        alias = self._alias(body["stateMachineAliasArn"])
        return {
            "stateMachineAliasArn": alias.arn,
            "name": alias.name,
            "description": alias.description,
            "routingConfiguration": [{"stateMachineVersionArn": a, "weight": w} for a, w in alias.routing],
            "creationDate": alias.created,
            "updateDate": alias.updated,
        }

    async def update_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        alias = self._alias(body["stateMachineAliasArn"])
        if "routingConfiguration" in body:
            alias.routing = self._routing(body["routingConfiguration"])
        alias.description = body.get("description", alias.description)
        alias.updated = now()
        self.registry.put_alias(alias)
        return {"updateDate": alias.updated}

    async def delete_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        self.registry.delete_alias(checked_arn(body["stateMachineAliasArn"], "stateMachine"))
        return {}

    async def list_state_machine_aliases(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = checked_arn(body["stateMachineArn"], "stateMachine")
        self._machine(arn)
        items = [{"stateMachineAliasArn": a.arn, "creationDate": a.created} for a in self.registry.aliases(arn)]
        return page(body, "stateMachineAliases", items)

    # -- TestState and tags -----------------------------------------------------------------

    async def test_state(self, body: dict[str, Any]) -> dict[str, Any]:
        from ..teststate import test_state_async

        keywords = _test_state_keywords(body, inspect.signature(test_state_async).parameters)
        keywords["resources"] = self.resources
        definition = json_definition(body["definition"])
        try:
            result = await test_state_async(definition, body.get("stateName"), **keywords)
        except DefinitionError as error:
            raise ApiError("InvalidDefinition", definition_message(error.problems)) from None
        except AslError as error:
            raise ApiError("ValidationException", str(error)) from None
        answer: dict[str, Any] = {"status": result.status.value}
        if result.status.value in ("SUCCEEDED", "CAUGHT_ERROR") or result.output is not None:
            answer["output"] = json.dumps(result.output, separators=(",", ":"), ensure_ascii=False)
        answer.update(error_fields(result.error, result.cause))
        if result.next_state:
            answer["nextState"] = result.next_state
        if result.inspection_data:
            answer["inspectionData"] = inspection(result.inspection_data)
        return answer

    async def tag_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._taggable(body["resourceArn"])
        tags = self.registry.tags(arn)
        tags.update(tags_of(body["tags"]))
        if len(tags) > 50:
            raise ApiError("TooManyTags", f"Too many tags: '{arn}'")
        self.registry.set_tags(arn, tags)
        return {}

    async def untag_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._taggable(body["resourceArn"])
        tags = self.registry.tags(arn)
        for key in body["tagKeys"]:
            tags.pop(key, None)
        self.registry.set_tags(arn, tags)
        return {}

    async def list_tags_for_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._taggable(body["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in self.registry.tags(arn).items()]}

    # -- lookups ----------------------------------------------------------------------------

    def _compile(self, definition: str, kind: str) -> StateMachine:
        from .. import parse

        key = (definition, kind)
        machine = self._compiled.get(key)
        if machine is not None:
            return machine
        if problems := text_problems(definition):
            raise ApiError("InvalidDefinition", definition_message(problems))
        try:
            # `type` is new in asl.parse; until it is there, the type is kept here only.
            machine = cast(Any, parse)(definition, type=kind) if self._parse_type else parse(definition)
        except DefinitionError as error:
            raise ApiError("InvalidDefinition", definition_message(error.problems)) from None
        if len(self._compiled) > 256:
            self._compiled.clear()
        self._compiled[key] = machine
        return machine

    def _machine(self, arn: str) -> MachineRecord:
        record = self.registry.machine(arn)
        if record is None:
            raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return record

    def _alias(self, arn: str) -> AliasRecord:
        alias = self.registry.alias(checked_arn(arn, "stateMachine"))
        if alias is None:
            raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        return alias

    def _target(self, arn: str) -> tuple[MachineRecord, str | None, str | None, str, str]:
        """The machine an ARN starts, the version or alias it names, and the definition and role."""
        version = self.registry.version(arn)
        if version is not None:
            return self._machine(version.machine_arn), arn, None, version.definition, version.role_arn
        alias = self.registry.alias(arn)
        if alias is not None:
            chosen = pick(alias.routing)
            picked = self.registry.version(chosen)
            if picked is None:
                raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{chosen}'")
            return self._machine(alias.machine_arn), chosen, arn, picked.definition, picked.role_arn
        machine = self._machine(arn)
        return machine, None, None, machine.definition, machine.role_arn

    def _taggable(self, arn: str) -> str:
        arn = checked_arn(arn, "stateMachine", "activity")
        if self.registry.machine(arn) is None and self.registry.activity(arn) is None:
            raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        return arn


# TestState's request parameters and the keywords of asl.teststate.test_state that take them.
_TEST_STATE_KEYWORDS: Final = {
    "inspectionLevel": "inspection_level",
    "roleArn": "role_arn",
    "revealSecrets": "reveal_secrets",
    "fieldValidationMode": "mock_field_validation_mode",
    "retrierRetryCount": "retrier_retry_count",
    "mapIterationFailureCount": "map_iteration_failure_count",
    "errorCausedByState": "error_caused_by_state",
    "mapItemReaderData": "map_item_reader_data",
}
# What a library without the keyword already does: then the parameter may be left out.
_DEFAULTS: Final = {"roleArn": None, "revealSecrets": False, "fieldValidationMode": "NONE"}


def _test_state_keywords(body: dict[str, Any], accepted: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of test_state for a TestState request: one per request parameter, each
    passed only when test_state takes it; ValidationException for one it cannot honour."""
    keywords: dict[str, Any] = {"input": json_input(body.get("input", "{}"))}
    given: dict[str, Any] = {}
    for name in ("variables", "context"):
        if name in body:
            given[name] = json_input(body[name])
    mock = body.get("mock") or {}
    if "errorOutput" in mock:
        error = mock["errorOutput"]
        given["mock"] = TaskFailed(error.get("error", ""), error.get("cause", ""))
    if "result" in mock:
        try:
            value = json.loads(mock["result"])
        except ValueError:
            value = None
        if value is None or "errorOutput" in mock:  # what `mock` cannot carry goes as the text
            given["mock_result"] = mock["result"]
        else:
            given["mock"] = value
    parameters = {**body, **{k: v for k, v in mock.items() if k == "fieldValidationMode"}}
    parameters.update(body.get("stateConfiguration") or {})
    for parameter, keyword in _TEST_STATE_KEYWORDS.items():
        if parameter in parameters:
            given[keyword] = parameters[parameter]
    reverse = {keyword: parameter for parameter, keyword in _TEST_STATE_KEYWORDS.items()}
    for keyword, value in given.items():
        parameter = reverse.get(keyword, keyword)
        if keyword in accepted:
            keywords[keyword] = value
        elif parameter not in _DEFAULTS or (_DEFAULTS[parameter] is not None and value != _DEFAULTS[parameter]):
            raise ApiError("ValidationException", f"asl serve cannot honour TestState's {parameter} yet.")
    return keywords
