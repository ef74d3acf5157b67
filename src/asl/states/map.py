"""The Map state: items from the input (or an ItemReader resource), one iteration each.

Inline iterations read the outer variables through a scope of their own; distributed ones
run as child executions with a history of their own and no outer variables, as on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final

import anyio

from .. import paths, resources, s3, services
from ..clock import iso
from ..context import JSON, Env
from ..dataflow import select, states_scope
from ..errors import ExceedToleratedFailureThreshold, ExecutionError, QueryEvaluationError, RuntimeFailure
from ..history import History, Lane
from ..model import Expr, MapState, Scope
from ..runtime import ACCOUNT, REGION, Frame, Run, child_variables, field_text, number, pass_on, record_aborted
from .parallel import fan_out, runners

__all__ = ["batches", "batching", "items", "limits", "run_map", "selected_item", "tolerance_exceeded"]

INLINE_CONCURRENCY: Final = 40  # AWS runs about 40 inline iterations at once
DISTRIBUTED_CONCURRENCY: Final = 1000  # AWS allows 10,000 children; fewer workers bound our memory


def _read(expr: Expr | None, scope: Scope) -> JSON:
    if expr is None:
        return None
    try:
        return expr(scope)
    except paths.PathNotFound as missing:
        raise RuntimeFailure(missing.cause) from None


def _is_path(field: str) -> bool:
    return field.endswith("Path")


def _concurrency(state: MapState, scope: Scope) -> int:
    value = _read(state.max_concurrency, scope)
    if value is None:
        return 0
    if _is_path(state.max_concurrency_field):
        value = number(value, "MaxConcurrencyPath", field_text(state, "MaxConcurrencyPath"))
    if state.jsonata:
        from .. import jsonata

        value = jsonata.expect(value, "integer", None, "MaxConcurrency")
    return int(value)  # type: ignore[arg-type]


def _tolerance(state: MapState, scope: Scope) -> tuple[int | None, float | None]:
    count = _read(state.tolerated_failure_count, scope)
    if count is not None:
        if _is_path(state.tolerated_failure_count_field):
            count = number(count, "ToleratedFailureCountPath", field_text(state, "ToleratedFailureCountPath"))
        if count < 0:  # type: ignore[operator]
            raise RuntimeFailure("ToleratedFailureCount cannot be negative.")
    percentage = _read(state.tolerated_failure_percentage, scope)
    if percentage is not None:
        if _is_path(state.tolerated_failure_percentage_field):
            percentage = number(
                percentage,
                "ToleratedFailurePercentagePath",
                field_text(state, "ToleratedFailurePercentagePath"),
                kind="float",
            )
        if not 0 <= percentage <= 100:  # type: ignore[operator]
            raise RuntimeFailure("ToleratedFailurePercentage must be between 0 and 100.")
    return count, percentage  # type: ignore[return-value]


def limits(state: MapState, scope: Scope) -> tuple[int, int | None, float | None]:
    """MaxConcurrency (0: no bound), ToleratedFailureCount and ToleratedFailurePercentage, as an
    attempt reads them (None: not set). Raises RuntimeFailure or QueryEvaluationError as AWS does."""
    return (_concurrency(state, scope), *_tolerance(state, scope))


def tolerance_exceeded(failures: int, total: int, count: int | None, percentage: float | None) -> bool:
    """Whether `failures` of `total` iterations are more than the Map tolerates."""
    if count is not None and failures > count:
        return True
    return percentage is not None and total > 0 and failures * 100 / total > percentage


async def _items(run: Run, state: MapState, raw: JSON, effective: JSON, env: Env) -> list[JSON]:
    if state.item_reader is not None:  # AWS reads the items and ignores ItemsPath
        return await _read_items(run, state, raw, effective, env)
    return items(state, raw, effective, env)


def items(state: MapState, raw: JSON, effective: JSON, env: Env) -> list[JSON]:
    """The items a Map without an ItemReader iterates over: from ItemsPath (JSONPath; applied to
    the effective input) or Items (JSONata), else the input itself. Raises as AWS does when
    they are not an array."""
    if state.jsonata:
        if state.items is None:
            if not isinstance(raw, list):
                raise QueryEvaluationError(f"Map state input must be an array but was: {paths.dumps(raw)}")
            return raw
        from .. import jsonata

        value = state.items(states_scope(env, raw))
        source = state.raw.get("Items")
        expression = jsonata.compile(source) if isinstance(source, str) and jsonata.is_expression(source) else None
        return jsonata.expect(value, "array", expression, "Items")  # type: ignore[return-value]
    value = effective if state.items is None else state.items(Scope(effective, env))
    if not isinstance(value, list):
        shown = state.items_field.removeprefix("$") if state.items_field.startswith("$$") else state.items_field
        raise RuntimeFailure(f'Reference path "{shown}" must point to array.')  # AWS shows $$.x as $.x
    return value


def _io_scope(state: MapState, raw: JSON, effective: JSON, env: Env) -> Scope:
    return states_scope(env, raw) if state.jsonata else Scope(effective, env)


def _max_items(state: MapState, scope: Scope) -> int | None:
    value = _read(state.item_reader.max_items, scope) if state.item_reader is not None else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise s3.reader_failed("field MaxItems must be positive")
    return int(value) or None  # 0: no limit


def selected_item(state: MapState, raw: JSON, effective: JSON, env: Env, index: int, item: JSON) -> JSON:
    """The input of one iteration: the item, or what ItemSelector makes of it (with `$$.Map.Item`)."""
    if state.item_selector is None:
        return item
    base = env.context
    assert isinstance(base, dict)  # the executor always makes `$$` an object
    context: dict[str, JSON] = {**base, "Map": {"Item": {"Index": index, "Value": item}}}
    item_env = Env(context, env.variables, env.random)
    if state.jsonata:
        return state.item_selector(states_scope(item_env, raw))
    return state.item_selector(Scope(effective, item_env))


async def _read_items(run: Run, state: MapState, raw: JSON, effective: JSON, env: Env) -> list[JSON]:
    """An ItemReader's items: from the callable registered under its Resource, else from S3 (aws=True)."""
    reader = state.item_reader
    assert reader is not None  # `_items` calls this only for a Map with an ItemReader
    resource = reader.resource
    scope = _io_scope(state, raw, effective, env)
    parameters = _read(reader.parameters, scope) if reader.parameters is not None else {}
    limit = _max_items(state, scope)
    function = run.resolver.find(resource)
    if function is None:
        raise ExecutionError(
            f"No callable was given for the ItemReader resource '{resource}'.", error="States.ItemReaderFailed"
        )
    if run.resolver.aws is not None and function in services.ITEM_IO.values():
        return await anyio.to_thread.run_sync(
            partial(s3.read_items, run.resolver.aws, resource, parameters, reader.reader_config, limit),
            abandon_on_cancel=True,
        )
    context = resources.Invocation(resource, run.uuid(), None)
    items = await resources.invoke(
        function, parameters, context, lambda_style=None, request_id=context.aws_request_id, name=resource
    )
    if not isinstance(items, list):
        raise ExecutionError("Attempting to map over non-iterable node.", error="States.ItemReaderFailed")
    return items[:limit] if limit else items


def batching(state: MapState) -> bool:
    """Whether the Map has an ItemBatcher: by count, by bytes, or only a BatchInput."""
    return state.batch_max_items is not None or state.batch_max_bytes is not None or state.batch_input is not None


def batches(state: MapState, items: list[JSON], scope: Scope) -> list[JSON]:
    """The items grouped as ItemBatcher groups them: {"BatchInput"?, "Items"} each."""
    size = _read(state.batch_max_items, scope)
    if not isinstance(size, int) or size < 1:
        size = len(items) or 1
    max_bytes = _read(state.batch_max_bytes, scope)
    if not isinstance(max_bytes, int) or max_bytes < 1:
        max_bytes = 0
    batch_input = state.batch_input(scope) if state.batch_input is not None else None
    overhead = len(paths.dumps({"BatchInput": batch_input, "Items": []}).encode()) if max_bytes else 0
    batches: list[JSON] = []
    current: list[JSON] = []
    used = overhead

    def close() -> None:
        batch: dict[str, JSON] = {}
        if batch_input is not None:
            batch["BatchInput"] = batch_input
        batch["Items"] = current
        batches.append(batch)

    for item in items:
        weight = len(paths.dumps(item).encode()) + 1 if max_bytes else 0
        if current and (len(current) >= size or (max_bytes and used + weight > max_bytes)):
            close()
            current, used = [], overhead
        current.append(item)
        used += weight
    if current:
        close()
    return batches


async def _write_results(
    run: Run, state: MapState, scope: Scope, map_run_arn: str, records: dict[str, list[JSON]]
) -> JSON:
    """Hand the results to the ResultWriter: S3 (aws=True) or the callable under its Resource."""
    writer = state.result_writer
    assert writer is not None  # `run_map` writes only for a Map with a ResultWriter
    resource = writer.resource
    arguments = _read(writer.parameters, scope) if writer.parameters is not None else {}
    config = writer.writer_config
    function = run.resolver.find(resource)
    if function is None:
        raise ExecutionError(
            f"No callable was given for the ResultWriter resource '{resource}'.", error="States.ResultWriterFailed"
        )
    if run.resolver.aws is not None and function in services.ITEM_IO.values():
        return await anyio.to_thread.run_sync(
            partial(s3.write_results, run.resolver.aws, arguments, config, map_run_arn, records)
        )
    args = arguments if isinstance(arguments, dict) else {}
    payload: dict[str, JSON] = {**args, "MapRunArn": map_run_arn, "ResultFiles": records}  # type: ignore[dict-item]
    context = resources.Invocation(resource, run.uuid(), None)
    await resources.invoke(
        function, payload, context, lambda_style=None, request_id=context.aws_request_id, name=resource
    )
    prefix = str(args.get("Prefix", "")).strip("/")
    run_id = map_run_arn.rsplit(":", 1)[-1]
    key = f"{prefix}/{run_id}/manifest.json" if prefix else f"{run_id}/manifest.json"
    return s3.writer_output(map_run_arn, str(args.get("Bucket", "")), key)


def _records(
    run: Run, state: MapState, map_run_arn: str, inputs: list[JSON], results: list[JSON], failed: set[int]
) -> dict[str, list[JSON]]:
    """Each child execution as AWS describes it in SUCCEEDED_n.json / FAILED_n.json."""
    config = state.result_writer.writer_config if state.result_writer is not None else None
    transformation = config.get("Transformation", "NONE") if isinstance(config, dict) else "NONE"
    machine = map_run_arn.split(":mapRun:", 1)[-1].rsplit(":", 1)[0]
    now = iso(run.clock.now())
    records: dict[str, list[JSON]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for index, result in enumerate(results):
        status = "FAILED" if index in failed else "SUCCEEDED"
        if transformation == "FLATTEN" and isinstance(result, list):
            records[status].extend(result)
            continue
        if transformation in ("COMPACT", "FLATTEN"):
            records[status].append(result)
            continue
        name = run.uuid()
        record: dict[str, JSON] = {
            "ExecutionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}",
            "Input": paths.dumps(inputs[index]),
            "InputDetails": {"Included": True},
            "Name": name,
        }
        if status == "SUCCEEDED":
            record.update(Output=paths.dumps(result), OutputDetails={"Included": True})
        elif isinstance(result, dict):
            record.update(Error=result.get("Error"), Cause=result.get("Cause"))
        record.update(
            RedriveCount=0,
            RedriveStatus="NOT_REDRIVABLE",
            RedriveStatusReason=f"Execution is {status} and cannot be redriven",
            StartDate=now,
            StateMachineArn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine}",
            Status=status,
            StopDate=now,
        )
        records[status].append(record)
    return records


async def run_map(run: Run, state: MapState, raw: JSON, env: Env, frame: Frame) -> JSON:
    """One attempt: every item through the processor; results in item order."""
    run_graph, _ = runners(run)

    processor = state.processor
    assert processor is not None
    if state.jsonata:
        effective = raw
        scope = states_scope(env, raw)
    else:
        effective = select(state.input_path, state.input_null, raw, env)
        scope = Scope(effective, env)
    items = await _items(run, state, raw, effective, env)
    concurrency = _concurrency(state, scope)
    if batching(state):
        items = batches(state, items, scope)
    history = frame.history
    history.add(frame.lane, "MapStateStarted", {"length": len(items)})
    tolerated_count, tolerated_percentage = _tolerance(state, scope)
    tolerant = tolerated_count is not None or tolerated_percentage is not None
    map_run_arn = ""
    if state.distributed:
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:{run.machine_name}"
        map_run_arn = f"{arn}/{state.label or state.name}:{run.uuid()}"
        history.add(frame.lane, "MapRunStarted", {"mapRunArn": map_run_arn})
    results: list[JSON] = [None] * len(items)
    writing = state.distributed and state.result_writer is not None
    inputs: list[JSON] = [None] * len(items) if writing else []
    failed: set[int] = set()  # the iterations whose failure was tolerated
    failures = 0
    # AWS chains each iteration's first event to the last state event of the iteration before
    # (not to its MapIteration* event); after a failure, the Map's closing events point there too.
    inner = Lane(history.last_id)

    async def iteration(index: int) -> None:
        nonlocal failures
        value = selected_item(state, raw, effective, env, index, items[index])
        if writing:
            inputs[index] = value
        records: list[Callable[[], object]] = []  # what this iteration holds when stopped
        if state.distributed:  # a child execution: its own history, no outer variables
            child = Frame(Lane(), {}, History(run.clock.now), aborted=records)
        else:
            lane = Lane(inner.last, f"{frame.lane.last}.{index}")  # frame.lane.last: the Map's Started event
            child = Frame(lane, child_variables(processor, frame), history, aborted=records)
            history.add(lane, "MapIterationStarted", {"name": state.name, "index": index})
        try:
            results[index] = await run_graph(run, processor, value, child)
        except anyio.get_cancelled_exc_class():  # a sibling failed, or the execution stopped
            if not state.distributed:
                details: dict[str, JSON] = {"name": state.name, "index": index}
                record_aborted(child, partial(history.add, child.lane, "MapIterationAborted", details))
            stopped[index] = records
            raise
        except ExecutionError as error:
            if not state.distributed:
                inner.last = child.lane.last
                history.add(child.lane, "MapIterationFailed", {"name": state.name, "index": index})
            if not tolerant or not error.catchable:
                raise
            failures += 1
            failed.add(index)
            results[index] = {"Error": error.error, "Cause": error.cause}
            if tolerance_exceeded(failures, len(items), tolerated_count, tolerated_percentage):
                raise ExceedToleratedFailureThreshold(
                    "The specified tolerated failure threshold was exceeded"
                ) from None
        else:
            if not state.distributed:
                inner.last = child.lane.last
                history.add(child.lane, "MapIterationSucceeded", {"name": state.name, "index": index})

    limit = concurrency or (DISTRIBUTED_CONCURRENCY if state.distributed else INLINE_CONCURRENCY)
    if processor.instant:  # an iteration never waits, so iterations run one after another anyway
        limit = 1
    stopped: dict[int, list[Callable[[], object]]] = {}  # the *Aborted events of stopped iterations
    try:
        try:
            await fan_out(run, len(items), limit, iteration)
        finally:
            pass_on(frame, [stopped[index] for index in sorted(stopped)])
    except ExecutionError as error:
        if state.distributed:
            details: dict[str, JSON] = {"error": error.error}
            if error.cause:
                details["cause"] = error.cause
            inner.last = history.note("MapRunFailed", history.last_id, details)
        frame.lane.last = inner.last
        raise
    except anyio.get_cancelled_exc_class():
        if state.distributed:
            record_aborted(frame, lambda: history.note("MapRunAborted", history.last_id))
        raise
    if writing:
        written = _records(run, state, map_run_arn, inputs, results, failed)
        output = await _write_results(run, state, scope, map_run_arn, written)
    if state.distributed:
        history.note("MapRunSucceeded", history.last_id)
    frame.lane.last = history.last_id  # after success: the last iteration's (or map run's) event
    history.note("MapStateSucceeded", frame.lane.last)
    return output if writing else results
