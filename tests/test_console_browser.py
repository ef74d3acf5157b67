"""The console of `asl serve` in a real, headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium): machines and executions made with boto3, checked as a person sees them.
Screenshots are saved in the test's tmp dir (printed on failure)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from test_serve import ROLE, Server, wait_until

pytestmark = pytest.mark.browser

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
APPROVAL = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"order": 7}, "Next": "Approve"},
        "Approve": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token"}},
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "End": True},
    },
}
FAILING = {
    "StartAt": "Double",
    "States": {
        "Double": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double",
            "Next": "Check",
        },
        "Check": {
            "Type": "Task",
            "Resource": "reject",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
            "Next": "Never",
        },
        "Recover": {"Type": "Task", "Resource": "reject", "End": True},
        "Never": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server("--resources", "tests.serve_resources:RESOURCES")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sfn(server: Server) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    profile = tempfile.mkdtemp(prefix="asl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=DriverService(DRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def page(server: Server, arn: str) -> str:
    return f"{server.url}/console/execution?arn={urllib.parse.quote(arn, safe='')}"


def status_text(browser: Any, state: str) -> str:
    from selenium.webdriver.common.by import By

    node = browser.find_element(By.CSS_SELECTOR, f'g.state[data-state="{state}"] .words')
    return str(node.text)


def shoot(browser: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")


def test_the_list_shows_machines_and_their_executions(server: Server, sfn: Any, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    arn = sfn.create_state_machine(name="Listed", definition=json.dumps(FAILING), roleArn=ROLE)["stateMachineArn"]
    names = [f"run-{index}" for index in range(3)]
    for name in names:
        sfn.start_execution(stateMachineArn=arn, name=name, input='{"value": 2}')
    browser.get(server.url + "/")
    shoot(browser, tmp_path, "machines")
    section = browser.find_element(By.ID, "m-Listed")
    rows = section.find_elements(By.CSS_SELECTOR, "table.executions tbody tr")
    assert [row.find_element(By.TAG_NAME, "a").text for row in rows] == names[::-1]  # newest first
    states = {node.get_attribute("data-state") for node in section.find_elements(By.CSS_SELECTOR, "g.state")}
    assert states == {"Double", "Check", "Recover", "Never"}


def test_the_start_form_refuses_invalid_json(server: Server, sfn: Any, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    sfn.create_state_machine(name="Started", definition=json.dumps(FAILING), roleArn=ROLE)
    browser.get(server.url + "/?fresh=1#m-Started")  # a new load, not a jump within the page
    form = browser.find_element(By.CSS_SELECTOR, "#m-Started form.start")
    editor = form.find_element(By.TAG_NAME, "textarea")
    editor.clear()
    editor.send_keys('{"value": ')
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    assert not button.is_enabled()
    assert "Not valid JSON" in form.find_element(By.CLASS_NAME, "json-error").text
    shoot(browser, tmp_path, "invalid-json")
    editor.send_keys("3}")
    assert button.is_enabled()
    button.click()
    wait_until(lambda: "/console/execution?arn=" in browser.current_url, 10)
    wait_until(lambda: "Failed" in browser.find_element(By.ID, "exec-status").text, 10)


def test_the_graph_shows_every_state_and_opens_on_the_failing_one(
    server: Server, sfn: Any, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    arn = sfn.create_state_machine(name="Failing", definition=json.dumps(FAILING), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"value": 21}')["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")
    browser.get(page(server, execution))
    shoot(browser, tmp_path, "failed-execution")
    assert status_text(browser, "Double") == "Succeeded"
    assert status_text(browser, "Check") == "Caught"
    assert status_text(browser, "Recover") == "Failed"
    assert status_text(browser, "Never") == "Not entered"
    details = browser.find_element(By.ID, "details")
    assert browser.find_element(By.ID, "details-h").text == "Recover"  # opened on the failing state
    assert "ValueError" in details.text and "no such order" in details.text
    # a click (or Enter) on a state shows its input and output
    browser.find_element(By.CSS_SELECTOR, 'g.state[data-state="Double"]').click()
    assert browser.find_element(By.ID, "details-h").text == "Double"
    shown = details.text
    assert '"value": 21' in shown and '"value": 42' in shown
    # by keyboard: Tab reaches a state, Enter shows it
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.execute_script("document.querySelector('g.state[data-state=\"Double\"]').focus()")
    ActionChains(browser).send_keys(Keys.TAB).send_keys(Keys.ENTER).perform()
    assert browser.find_element(By.ID, "details-h").text == "Check"
    assert "ValueError" in details.text  # the error Check caught
    # the history table filters by state
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "filter-state")).select_by_value("Check")
    cells = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr td:nth-child(3)")
    assert cells and {cell.text for cell in cells} == {"Check"}


def test_approving_a_waiting_token_updates_the_open_page(
    server: Server, sfn: Any, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    arn = sfn.create_state_machine(name="Approval", definition=json.dumps(APPROVAL), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    browser.get(page(server, execution))
    wait_until(lambda: status_text(browser, "Approve") == "Waiting for callback", 10)
    assert status_text(browser, "Prepare") == "Succeeded"
    assert status_text(browser, "Done") == "Not entered"
    form = browser.find_element(By.CSS_SELECTOR, "#waiting form.answer")
    shoot(browser, tmp_path, "waiting")
    editor = form.find_element(By.TAG_NAME, "textarea")
    editor.clear()
    editor.send_keys('{"approved": true, "by": "Ada"}')
    form.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait_until(lambda: "Succeeded" in browser.find_element(By.ID, "exec-status").text, 10)
    assert status_text(browser, "Approve") == "Succeeded"
    assert status_text(browser, "Done") == "Succeeded"
    assert sfn.describe_execution(executionArn=execution)["output"] == '{"approved":true,"by":"Ada"}'
    shoot(browser, tmp_path, "approved")


def test_a_change_reaches_an_open_page_quickly(server: Server, sfn: Any, browser: Any) -> None:
    arn = sfn.create_state_machine(name="Timed", definition=json.dumps(APPROVAL), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    browser.get(page(server, execution))
    wait_until(lambda: status_text(browser, "Approve") == "Waiting for callback", 10)
    token = browser.execute_script("return JSON.parse(document.getElementById('snapshot').textContent).waiting")
    token = token[0]["token"] if token else wait_until(lambda: _token_on_page(browser), 10)
    before = browser.execute_script("return window.aslConsole.updates")
    sent = time.time()
    sfn.send_task_success(taskToken=token, output="{}")
    wait_until(lambda: browser.execute_script("return window.aslConsole.updates") > before, 5)
    arrived = browser.execute_script("return window.aslConsole.lastChange") / 1000
    latency = arrived - sent
    print(f"a change reached the open page in {latency * 1000:.0f} ms")
    assert latency < 0.2


def _token_on_page(browser: Any) -> str | None:
    from selenium.webdriver.common.by import By

    codes = browser.find_elements(By.CSS_SELECTOR, "#waiting .token code")
    return str(codes[0].text) if codes else None


def test_an_execution_of_10000_events_opens_in_under_a_second(
    server: Server, sfn: Any, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    many = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(name="Big", definition=json.dumps(many), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(list(range(2500))))["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", 60)
    count = len(sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"])
    assert count == 1000  # (one page of many)
    started = time.monotonic()
    browser.get(page(server, execution))
    wait_until(lambda: browser.execute_script("return window.aslConsole.rendered") > 0, 10)
    elapsed = time.monotonic() - started
    counted = browser.find_element(By.ID, "history-count").text
    print(f"{counted}: page opened and rendered in {elapsed * 1000:.0f} ms")
    shoot(browser, tmp_path, "big")
    assert int(counted.split()[0]) >= 10_000
    assert elapsed < 1.0
    # every event is still there: a filter finds the last iteration's events
    text = browser.find_element(By.ID, "filter-text")
    text.send_keys("2499")
    assert browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")
