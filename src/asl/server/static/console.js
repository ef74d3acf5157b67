// The asl console's page script: JSON editors that refuse invalid JSON, the execution page's
// history table and state details, live updates by server-sent events, and the actions.
// No library and no network but this server (the page's Content-Security-Policy allows nothing else).
"use strict";

(function () {
  const state = { lastChange: 0, rendered: 0, updates: 0 };
  window.aslConsole = state;

  function el(id) {
    return document.getElementById(id);
  }

  function text(value) {
    return String(value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  function pretty(value) {
    return value === null || value === undefined ? "—" : JSON.stringify(value, null, 2);
  }

  async function act(action, body) {
    const response = await fetch("/console/api/" + action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Asl-Console": "1" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) {
      throw new Error((answer.error || "Error") + ": " + (answer.message || response.status));
    }
    return answer;
  }

  // -- JSON editors: an invalid text is named at once, and cannot be sent --------------------

  function jsonProblem(source) {
    try {
      JSON.parse(source);
      return "";
    } catch (error) {
      return "Not valid JSON: " + error.message;
    }
  }

  function watchJson(textarea, message, button) {
    const check = function () {
      const problem = jsonProblem(textarea.value);
      message.textContent = problem;
      textarea.setAttribute("aria-invalid", problem ? "true" : "false");
      button.disabled = Boolean(problem);
      return !problem;
    };
    textarea.addEventListener("input", check);
    check();
    return check;
  }

  function setupStartForms() {
    document.querySelectorAll("form.start").forEach(function (form) {
      const input = form.querySelector("textarea.json");
      const message = form.querySelector(".json-error");
      const button = form.querySelector("button[type=submit]");
      const check = watchJson(input, message, button);
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        if (!check()) {
          input.focus();
          return;
        }
        const body = { stateMachineArn: form.dataset.machine, input: input.value };
        const name = form.querySelector("input[name=name]").value.trim();
        if (name) body.name = name;
        button.disabled = true;
        try {
          const answer = await act("start", body);
          window.location.href = "/console/execution?arn=" + encodeURIComponent(answer.executionArn);
        } catch (error) {
          message.textContent = error.message;
          button.disabled = false;
        }
      });
    });
  }

  // -- the execution page ---------------------------------------------------------------------

  function setupExecution() {
    const carrier = el("snapshot");
    if (!carrier) return;
    const data = JSON.parse(carrier.textContent);
    const arn = data.execution.executionArn;
    const nodes = new Map();
    document.querySelectorAll("#graph g.state").forEach(function (node) {
      const name = node.dataset.state;
      if (!nodes.has(name)) nodes.set(name, []);
      nodes.get(name).push(node);
    });
    let selected = null;

    // history table, filtered by state, type and text
    const events = data.events;
    const body = document.querySelector("#history tbody");
    const byState = el("filter-state");
    const byType = el("filter-type");
    const byText = el("filter-text");
    const known = { states: new Set(), types: new Set() };

    function addOptions(rows) {
      rows.forEach(function (row) {
        if (row.state && !known.states.has(row.state)) {
          known.states.add(row.state);
          byState.add(new Option(row.state, row.state));
        }
        if (!known.types.has(row.type)) {
          known.types.add(row.type);
          byType.add(new Option(row.type, row.type));
        }
      });
    }

    function shown(row) {
      if (byState.value && row.state !== byState.value) return false;
      if (byType.value && row.type !== byType.value) return false;
      const needle = byText.value.trim().toLowerCase();
      return !needle || (row.type + " " + (row.state || "") + " " + row.details).toLowerCase().includes(needle);
    }

    function rowHtml(row) {
      const when = new Date(row.time * 1000).toISOString().replace("T", " ").replace("Z", "");
      return (
        '<tr class="' + (/Failed|TimedOut|Aborted/.test(row.type) ? "bad" : "") + '"><td>' + row.id +
        "</td><td>" + text(row.type) + "</td><td>" + text(row.state || "") + "</td><td>" + when +
        '</td><td class="details">' + text(row.details) + "</td></tr>"
      );
    }

    // Rows are drawn a page at a time: a history of 10,000 events opens at once, and the
    // filters still search all of it.
    const PAGE = 500;
    let limit = PAGE;
    const more = document.createElement("button");
    more.type = "button";
    more.id = "history-more";
    more.hidden = true;
    document.getElementById("history").after(more);
    more.addEventListener("click", function () {
      limit += PAGE;
      renderTable();
    });

    function renderTable() {
      const parts = [];
      let count = 0;
      for (const row of events) {
        if (shown(row)) {
          if (count < limit) parts.push(rowHtml(row));
          count += 1;
        }
      }
      body.innerHTML = parts.join("");
      const drawn = Math.min(count, limit);
      el("history-count").textContent =
        (count === events.length ? count : count + " of " + events.length) + " events" +
        (drawn < count ? ", first " + drawn + " shown" : "");
      more.hidden = drawn >= count;
      more.textContent = "Show " + Math.min(PAGE, count - drawn) + " more events";
    }

    [byState, byType].forEach(function (select) {
      select.addEventListener("change", function () {
        limit = PAGE;
        renderTable();
      });
    });
    byText.addEventListener("input", function () {
      limit = PAGE;
      renderTable();
    });
    addOptions(events);
    renderTable();

    // a state's details
    function showState(name, focus) {
      selected = name;
      nodes.forEach(function (list, key) {
        list.forEach(function (node) {
          node.classList.toggle("selected", key === name);
          node.setAttribute("aria-pressed", key === name ? "true" : "false");
        });
      });
      const info = data.states[name] || { name: name, text: "Not entered", status: "not-entered" };
      const rows = [
        ["Status", text(info.text)],
        ["Input", "<pre>" + text(pretty(info.input)) + "</pre>"],
        ["Output", "<pre>" + text(pretty(info.output)) + "</pre>"],
        ["Variables", "<pre>" + text(pretty(info.variables)) + "</pre>"],
      ];
      if (info.error || info.cause) {
        rows.push(["Error", text(info.error || "—")]);
        rows.push(["Cause", "<pre>" + text(info.cause || "—") + "</pre>"]);
      }
      const children = data.children[name] || [];
      if (children.length) {
        rows.push([
          "Child executions",
          children
            .map(function (child) {
              return (
                '<a href="/console/execution?arn=' + encodeURIComponent(child.arn) + '">' + text(child.name) +
                "</a> (" + text(child.status) + ")"
              );
            })
            .join("<br>"),
        ]);
      }
      el("details-h").textContent = name;
      el("details-hint").hidden = true;
      const list = el("details-body");
      list.innerHTML = rows
        .map(function (pair) {
          return '<div class="' + pair[0].toLowerCase().replace(" ", "-") + '"><dt>' + pair[0] + "</dt><dd>" +
            pair[1] + "</dd></div>";
        })
        .join("");
      list.hidden = false;
      if (focus) el("details").focus();
    }

    nodes.forEach(function (list, name) {
      list.forEach(function (node) {
        node.setAttribute("aria-pressed", "false");
        node.addEventListener("click", function () {
          showState(name, false);
        });
        node.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            showState(name, true);
          }
        });
      });
    });

    function paintState(info) {
      (nodes.get(info.name) || []).forEach(function (node) {
        node.setAttribute("class", "state " + info.status + (info.name === selected ? " selected" : ""));
        node.querySelector(".icon").textContent = info.icon;
        node.querySelector(".words").textContent = info.text;
        node.setAttribute("aria-label", info.name + ", " + node.dataset.type + ": " + info.text);
      });
    }

    // the execution's status and its actions
    const badges = {
      RUNNING: ["◔", "Running"],
      SUCCEEDED: ["✓", "Succeeded"],
      FAILED: ["✕", "Failed"],
      TIMED_OUT: ["⧗", "Timed out"],
      ABORTED: ["■", "Aborted"],
    };

    function showStatus(status) {
      const badge = badges[status] || ["?", status];
      el("exec-status").innerHTML =
        '<span class="badge ' + status.toLowerCase() + '"><span aria-hidden="true">' + badge[0] + "</span> " +
        badge[1] + "</span>";
      el("stop").disabled = status !== "RUNNING";
      el("redrive").disabled = status === "RUNNING" || status === "SUCCEEDED";
    }

    function say(message) {
      el("action-message").textContent = message;
    }

    el("stop").addEventListener("click", async function () {
      try {
        await act("stop", { executionArn: arn });
        say("Stopped.");
      } catch (error) {
        say(error.message);
      }
    });
    el("redrive").addEventListener("click", async function () {
      try {
        await act("redrive", { executionArn: arn });
        say("Redriven.");
        window.location.reload();
      } catch (error) {
        say(error.message);
      }
    });

    // task tokens waiting for a person
    let waitingKey = null;

    function showWaiting(waiting) {
      const key = waiting.map(function (w) { return w.token; }).join(" ");
      if (key === waitingKey) return;
      waitingKey = key;
      el("waiting").hidden = waiting.length === 0;
      const holder = el("waiting-list");
      holder.innerHTML = "";
      waiting.forEach(function (item, index) {
        const form = document.createElement("form");
        form.className = "answer";
        const id = "answer-" + index;
        form.innerHTML =
          "<h3>" + text(item.state || "A task") + " waits for its task token</h3>" +
          '<p class="token">Token <code>' + text(item.token) + "</code></p>" +
          '<label for="' + id + '-output">Output (JSON)</label>' +
          '<textarea id="' + id + '-output" class="json" rows="3" spellcheck="false">{"approved": true}</textarea>' +
          '<p class="json-error" role="alert"></p>' +
          '<button type="submit" class="approve">Approve</button>' +
          '<fieldset><legend>Or reject</legend>' +
          '<label for="' + id + '-error">Error</label><input id="' + id + '-error" value="Rejected">' +
          '<label for="' + id + '-cause">Cause</label><input id="' + id + '-cause" value="">' +
          '<button type="button" class="reject">Reject</button></fieldset>' +
          '<p class="answer-message" role="status"></p>';
        holder.appendChild(form);
        const output = form.querySelector("textarea");
        const approve = form.querySelector("button.approve");
        const message = form.querySelector(".answer-message");
        const check = watchJson(output, form.querySelector(".json-error"), approve);
        form.addEventListener("submit", async function (event) {
          event.preventDefault();
          if (!check()) return;
          try {
            await act("approve", { taskToken: item.token, output: output.value });
            message.textContent = "Approved.";
          } catch (error) {
            message.textContent = error.message;
          }
        });
        form.querySelector("button.reject").addEventListener("click", async function () {
          try {
            await act("reject", {
              taskToken: item.token,
              error: form.querySelector("#" + id + "-error").value,
              cause: form.querySelector("#" + id + "-cause").value,
            });
            message.textContent = "Rejected.";
          } catch (error) {
            message.textContent = error.message;
          }
        });
      });
    }

    // live updates: one server-sent event per burst of history events
    function follow() {
      const after = events.length ? events[events.length - 1].id : 0;
      const source = new EventSource(
        "/console/api/stream?arn=" + encodeURIComponent(arn) + "&after=" + after
      );
      source.addEventListener("change", function (message) {
        const change = JSON.parse(message.data);
        Object.values(change.states).forEach(function (info) {
          data.states[info.name] = info;
          paintState(info);
        });
        if (change.events.length) {
          change.events.forEach(function (row) { events.push(row); });
          addOptions(change.events);
          renderTable();
        }
        data.children = change.children;
        showWaiting(change.waiting);
        if (change.status !== "RUNNING") showStatus(change.status);
        if (selected && change.states[selected]) showState(selected, false);
        state.lastChange = Date.now();
        state.updates += 1;
      });
      source.addEventListener("end", function (message) {
        source.close();
        const end = JSON.parse(message.data);
        const execution = end.execution;
        data.execution = execution;
        showStatus(execution.status);
        showWaiting([]);
        if (execution.stopDate) {
          el("exec-stopped").textContent =
            new Date(execution.stopDate * 1000).toISOString().replace("T", " ").replace("Z", " UTC");
          const seconds = execution.stopDate - execution.startDate;
          el("exec-duration").textContent = seconds < 1 ? Math.round(seconds * 1000) + " ms" : seconds.toFixed(1) + " s";
        }
        if (end.failing && !selected) showState(end.failing, false);
        state.lastChange = Date.now();
      });
    }

    showStatus(data.execution.status);
    showWaiting(data.waiting);
    // A failed execution opens on the state that failed it.
    if (data.failing) showState(data.failing, false);
    if (data.execution.status === "RUNNING") follow();
    state.rendered = performance.now();
  }

  setupStartForms();
  setupExecution();
})();
