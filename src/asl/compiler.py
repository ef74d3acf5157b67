"""Validated definition JSON -> the frozen graph of `model`: every path, template, rule compiled once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import paths, templates
from .context import JSON
from .errors import DefinitionError, ExpressionError, Problem
from .errors import pointer as json_pointer  # `pointer` names each node's own pointer here
from .model import (
    Catcher,
    ChoiceBranch,
    ChoiceState,
    Expr,
    FailState,
    ItemReader,
    MapState,
    ParallelState,
    PassState,
    Predicate,
    ResultWriter,
    Retrier,
    Scope,
    State,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)

__all__ = ["compile_machine"]

Raw = Mapping[str, Any]
Evaluator = Callable[[JSON, Any], Any]  # a JSONPath template's or rule's evaluator of (value, env)
# Makes an instant state, born with its `work` (`states.basic.compose`, passed in by the caller:
# the compiler does not reach the run-time package): (class, fields, Parameters evaluator, rule tests).
Compose = Callable[[type[State], dict[str, Any], Evaluator | None, tuple[Evaluator | None, ...]], State]


def compile_machine(definition: Raw, compose: Compose) -> StateMachine:
    """Compile a validated definition; raises DefinitionError with every expression that fails."""
    problems: list[Problem] = []
    machine = _Compiler(problems, definition.get("QueryLanguage") == "JSONata", compose).machine(definition, "")
    if problems:
        raise DefinitionError(problems)
    return machine


def _constant(value: JSON) -> Expr:
    return lambda _scope: value


class _Compiler:
    def __init__(self, problems: list[Problem], top_jsonata: bool, compose: Compose) -> None:
        self.problems = problems
        self.top_jsonata = top_jsonata
        self.compose = compose

    def guard(self, pointer: str, build: Callable[[], Any]) -> Any:
        """Run one compile step; a failure becomes a Problem at `pointer` instead of stopping."""
        try:
            return build()
        except ExpressionError as error:
            self.problems.append(Problem(pointer, "INVALID_EXPRESSION", str(error)))
            return None

    def machine(self, raw: Raw, pointer: str, *, timeout: bool = True) -> StateMachine:
        states = {
            name: self.state(name, body, pointer + json_pointer("States", name))
            for name, body in raw.get("States", {}).items()
        }
        return StateMachine(
            start_at=raw.get("StartAt", ""),
            states=MappingProxyType(states),
            jsonata=self.top_jsonata,
            timeout_seconds=raw.get("TimeoutSeconds") if timeout else None,
            definition=raw,
            instant=all(state.instant for state in states.values()),
            assigns=any(_assigns(state) for state in states.values()),
        )

    # -- expressions -------------------------------------------------------------------------

    def path(self, raw: Raw, key: str, pointer: str) -> paths.Path | None:
        text = raw.get(key)
        if not isinstance(text, str):
            return None
        return self.guard(f"{pointer}/{key}", lambda: paths.compile(text))  # type: ignore[no-any-return]

    def template(self, raw: Raw, key: str, pointer: str) -> Expr | None:
        return self.template_pair(raw, key, pointer)[0]

    def template_pair(self, raw: Raw, key: str, pointer: str) -> tuple[Expr | None, Evaluator | None]:
        """A JSONPath template as an Expr and, unless constant, its evaluator of (value, env)."""
        if key not in raw:
            return None, None
        template = self.guard(f"{pointer}/{key}", lambda: templates.compile(raw[key]))
        if template is None:
            return None, None
        if template.constant:
            return _constant(template.raw), None
        evaluate = template.evaluate
        return (lambda scope: evaluate(scope.value, scope.env)), evaluate

    def jsonata(self, value: JSON, field: str, pointer: str) -> Expr:
        from . import jsonata

        template = self.guard(pointer, lambda: jsonata.compile_template(value, field))
        if template is None:
            return _constant(value)
        if template.constant:
            return _constant(value)
        evaluate = template.evaluate
        return lambda scope: evaluate(scope.states, scope.env)

    def value_or_path(
        self, raw: Raw, key: str, pointer: str, jsonata: bool, *, intrinsic: bool = False
    ) -> tuple[Expr | None, str]:
        """A field that is a literal, a `...Path` sibling, or (JSONata) an expression."""
        if key in raw:
            if jsonata:
                return self.jsonata(raw[key], key, f"{pointer}/{key}"), key
            return _constant(raw[key]), key
        path_key = key + "Path"
        text = raw.get(path_key)
        if not isinstance(text, str):
            return None, key
        if intrinsic:
            evaluate = self.guard(f"{pointer}/{path_key}", lambda: templates.compile_value(text, path_key))
            if evaluate is None:
                return None, path_key
            return (lambda scope: evaluate(scope.value, scope.env)), path_key
        path = self.guard(f"{pointer}/{path_key}", lambda: paths.compile(text))
        if path is None:
            return None, path_key
        get = path.get
        return (lambda scope: get(scope.value, scope.env)), path_key

    def assign(self, raw: Raw, pointer: str, jsonata: bool) -> Expr | None:
        if "Assign" not in raw:
            return None
        if jsonata:
            return self.jsonata(raw["Assign"], "Assign", f"{pointer}/Assign")
        return self.template(raw, "Assign", pointer)

    # -- states ------------------------------------------------------------------------------

    def state(self, name: str, raw: Raw, pointer: str) -> State:
        language = raw.get("QueryLanguage")
        jsonata = language == "JSONata" if language else self.top_jsonata
        kind = raw.get("Type", "")
        common: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "entered_event": f"{kind}StateEntered",
            "exited_event": f"{kind}StateExited",
            "instant": kind in ("Pass", "Choice", "Succeed", "Fail"),
            "jsonata": jsonata,
            "next": raw.get("Next"),
            "end": bool(raw.get("End", False)),
            "assign": self.assign(raw, pointer, jsonata),
            "raw": raw,
        }
        build_parameters: Evaluator | None = None
        if jsonata:
            if "Output" in raw:
                common["output"] = self.jsonata(raw["Output"], "Output", f"{pointer}/Output")
            if "Arguments" in raw:
                common["arguments"] = self.jsonata(raw["Arguments"], "Arguments", f"{pointer}/Arguments")
        else:
            common["input_path"] = self.path(raw, "InputPath", pointer)
            common["input_null"] = "InputPath" in raw and raw["InputPath"] is None
            common["output_path"] = self.path(raw, "OutputPath", pointer)
            common["output_null"] = "OutputPath" in raw and raw["OutputPath"] is None
            if kind != "Map":
                common["parameters"], build_parameters = self.template_pair(raw, "Parameters", pointer)
            common["result_selector"] = self.template(raw, "ResultSelector", pointer)
            common["result_path"] = self.path(raw, "ResultPath", pointer)
            common["result_null"] = "ResultPath" in raw and raw["ResultPath"] is None
        if kind in ("Task", "Parallel", "Map"):
            common["retry"] = tuple(self.retrier(r) for r in raw.get("Retry", ()))
            common["catch"] = tuple(
                self.catcher(c, f"{pointer}/Catch/{i}", jsonata) for i, c in enumerate(raw.get("Catch", ()))
            )
        if kind == "Pass":  # its work calls the Parameters evaluator on (value, env) directly
            return self.state_pass(raw, common, build_parameters)
        build = getattr(self, f"state_{kind.lower()}", None)
        if build is None:
            self.problems.append(Problem(f"{pointer}/Type", "INVALID_TYPE", f"unknown state type {kind!r}"))
            return State(kind=kind, **{k: v for k, v in common.items() if k != "kind"})
        return build(raw, pointer, jsonata, common)  # type: ignore[no-any-return]

    def state_pass(self, raw: Raw, common: dict[str, Any], build: Evaluator | None) -> State:
        fields = {**common, "result": raw.get("Result"), "has_result": "Result" in raw}
        return self.compose(PassState, fields, build, ())

    def state_succeed(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        return self.compose(SucceedState, common, None, ())

    def state_fail(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        error, _ = self.value_or_path(raw, "Error", pointer, jsonata, intrinsic=True)
        cause, _ = self.value_or_path(raw, "Cause", pointer, jsonata, intrinsic=True)
        return self.compose(FailState, {**common, "error": error, "cause": cause}, None, ())

    def state_task(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        timeout, timeout_field = self.value_or_path(raw, "TimeoutSeconds", pointer, jsonata)
        heartbeat, heartbeat_field = self.value_or_path(raw, "HeartbeatSeconds", pointer, jsonata)
        credentials = None
        if "Credentials" in raw:
            credentials = (
                self.jsonata(raw["Credentials"], "Credentials", f"{pointer}/Credentials")
                if jsonata
                else self.template(raw, "Credentials", pointer)
            )
        return TaskState(
            **common,
            resource=raw.get("Resource", ""),
            timeout_seconds=timeout,
            timeout_field=timeout_field,
            heartbeat_seconds=heartbeat,
            heartbeat_field=heartbeat_field,
            credentials=credentials,
        )

    def state_wait(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        seconds, seconds_field = self.value_or_path(raw, "Seconds", pointer, jsonata)
        timestamp, timestamp_field = self.value_or_path(raw, "Timestamp", pointer, jsonata)
        return WaitState(
            **common,
            seconds=seconds,
            seconds_field=seconds_field,
            timestamp=timestamp,
            timestamp_field=timestamp_field,
        )

    def state_choice(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        branches, tests = [], []
        for index, rule in enumerate(raw.get("Choices", ())):
            where = f"{pointer}/Choices/{index}"
            condition, test = self.condition(rule, where, jsonata)
            tests.append(test)
            assign = self.assign(rule, where, jsonata)
            output = self.jsonata(rule["Output"], "Output", f"{where}/Output") if "Output" in rule else None
            branches.append(ChoiceBranch(condition, rule.get("Next", ""), assign, output))
        fields = {**common, "choices": tuple(branches), "default": raw.get("Default")}
        return self.compose(ChoiceState, fields, None, tuple(tests))

    def condition(self, rule: Raw, pointer: str, jsonata: bool) -> tuple[Predicate, Evaluator | None]:
        """A rule's Predicate and, for a JSONPath rule, its test of (value, env)."""
        if jsonata or "Condition" in rule:
            from . import jsonata as jsonata_module

            value = rule.get("Condition")
            if isinstance(value, bool):
                return (lambda _scope: value), None
            evaluate = self.jsonata(value, "Condition", f"{pointer}/Condition")

            def check(scope: Scope) -> bool:
                result = jsonata_module.expect(evaluate(scope), "boolean", None, "Condition")
                return bool(result)

            return check, None
        from . import choice

        body = {k: v for k, v in rule.items() if k not in ("Next", "Assign", "Comment", "Output")}
        compiled = self.guard(pointer, lambda: choice.compile_rule(body))
        if compiled is None:
            return (lambda _scope: False), None
        test = compiled.holds
        return (lambda scope: test(scope.value, scope.env)), test

    def state_parallel(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        branches = tuple(
            self.machine(branch, f"{pointer}/Branches/{i}", timeout=False)
            for i, branch in enumerate(raw.get("Branches", ()))
        )
        return ParallelState(**common, branches=branches)

    def state_map(self, raw: Raw, pointer: str, jsonata: bool, common: dict[str, Any]) -> State:
        key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
        body = raw.get(key, {})
        processor = self.machine(body, f"{pointer}/{key}", timeout=False)
        mode = (body.get("ProcessorConfig") or {}).get("Mode", "INLINE")
        if jsonata:
            items = self.jsonata(raw["Items"], "Items", f"{pointer}/Items") if "Items" in raw else None
            items_field = "Items"
            selector = (
                self.jsonata(raw["ItemSelector"], "ItemSelector", f"{pointer}/ItemSelector")
                if "ItemSelector" in raw
                else None
            )
        else:
            items_path = self.path(raw, "ItemsPath", pointer)
            items = None
            if items_path is not None:
                get = items_path.get
                items = lambda scope: get(scope.value, scope.env)  # noqa: E731
            items_field = str(raw.get("ItemsPath", "$"))
            selector_key = "ItemSelector" if "ItemSelector" in raw else "Parameters"
            selector = self.template(raw, selector_key, pointer)
        concurrency, concurrency_field = self.value_or_path(raw, "MaxConcurrency", pointer, jsonata)
        count, count_field = self.value_or_path(raw, "ToleratedFailureCount", pointer, jsonata)
        percentage, percentage_field = self.value_or_path(raw, "ToleratedFailurePercentage", pointer, jsonata)
        batcher = raw.get("ItemBatcher") or {}
        batch_max, _ = self.value_or_path(batcher, "MaxItemsPerBatch", f"{pointer}/ItemBatcher", jsonata)
        batch_input = None
        if "BatchInput" in batcher:
            batch_input = (
                self.jsonata(batcher["BatchInput"], "BatchInput", f"{pointer}/ItemBatcher/BatchInput")
                if jsonata
                else self.template(batcher, "BatchInput", f"{pointer}/ItemBatcher")
            )
        batch_max_bytes, _ = self.value_or_path(batcher, "MaxInputBytesPerBatch", f"{pointer}/ItemBatcher", jsonata)
        return MapState(
            **common,
            processor=processor,
            distributed=mode == "DISTRIBUTED",
            items=items,
            items_field=items_field,
            item_selector=selector,
            max_concurrency=concurrency,
            max_concurrency_field=concurrency_field,
            tolerated_failure_count=count,
            tolerated_failure_count_field=count_field,
            tolerated_failure_percentage=percentage,
            tolerated_failure_percentage_field=percentage_field,
            batch_max_items=batch_max,
            batch_input=batch_input,
            batch_max_bytes=batch_max_bytes,
            label=raw.get("Label"),
            item_reader=self.item_reader(raw, pointer, jsonata),
            result_writer=self.result_writer(raw, pointer, jsonata),
        )

    def item_io(self, raw: Raw, name: str, pointer: str, jsonata: bool) -> tuple[str, Expr | None, JSON] | None:
        """An ItemReader's or ResultWriter's Resource, its `Parameters` (JSONPath) or `Arguments`
        (JSONata) compiled as a payload template, and its ReaderConfig or WriterConfig as written."""
        part = raw.get(name)
        if not isinstance(part, Mapping):
            return None
        here = f"{pointer}/{name}"
        parameters = None
        if jsonata and "Arguments" in part:
            parameters = self.jsonata(part["Arguments"], "Arguments", f"{here}/Arguments")
        elif not jsonata and "Parameters" in part:
            parameters = self.template(part, "Parameters", here)
        config = part.get("ReaderConfig" if name == "ItemReader" else "WriterConfig")
        return str(part.get("Resource", "")), parameters, config

    def item_reader(self, raw: Raw, pointer: str, jsonata: bool) -> ItemReader | None:
        found = self.item_io(raw, "ItemReader", pointer, jsonata)
        if found is None:
            return None
        resource, parameters, config = found
        max_items = None
        if isinstance(config, Mapping):
            max_items, _ = self.value_or_path(config, "MaxItems", f"{pointer}/ItemReader/ReaderConfig", jsonata)
        return ItemReader(resource, parameters, config, max_items)

    def result_writer(self, raw: Raw, pointer: str, jsonata: bool) -> ResultWriter | None:
        found = self.item_io(raw, "ResultWriter", pointer, jsonata)
        return None if found is None else ResultWriter(*found)

    # -- error handling ----------------------------------------------------------------------

    def retrier(self, raw: Raw) -> Retrier:
        return Retrier(
            error_equals=tuple(raw.get("ErrorEquals", ())),
            interval_seconds=raw.get("IntervalSeconds", 1),
            max_attempts=raw.get("MaxAttempts", 3),
            backoff_rate=raw.get("BackoffRate", 2.0),
            max_delay_seconds=raw.get("MaxDelaySeconds"),
            jitter_strategy=raw.get("JitterStrategy", "NONE"),
        )

    def catcher(self, raw: Raw, pointer: str, jsonata: bool) -> Catcher:
        output = self.jsonata(raw["Output"], "Output", f"{pointer}/Output") if jsonata and "Output" in raw else None
        return Catcher(
            error_equals=tuple(raw.get("ErrorEquals", ())),
            next=raw.get("Next", ""),
            result_path=None if jsonata else self.path(raw, "ResultPath", pointer),
            discard_result="ResultPath" in raw and raw["ResultPath"] is None,
            output=output,
            assign=self.assign(raw, pointer, jsonata),
        )


def _assigns(state: State) -> bool:
    """Whether running `state` may assign variables in its frame."""
    branches = state.choices if isinstance(state, ChoiceState) else ()
    return (
        state.assign is not None
        or any(catcher.assign is not None for catcher in state.catch)
        or any(branch.assign is not None for branch in branches)
    )
