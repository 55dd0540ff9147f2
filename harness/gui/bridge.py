"""The one door between the engine's threads and the GUI thread (as qutebrowser's utils/message.py).

Server threads, flow workers and the health probe only ever *emit* these signals, with plain
Python objects (dicts, dataclasses from `harness.core`); the slots run in the GUI thread, because
the bridge lives there and Qt queues cross-thread emissions. Nothing outside the GUI thread
touches a widget or a Qt model.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Bridge(QObject):
    # servers
    servers_started = Signal(object)  # harness.core.servers.Servers (started)
    servers_failed = Signal(str)  # why, in words
    servers_stopped = Signal()
    health = Signal(object)  # {"sp": bool, "idp": bool}

    # flows (run_id is a str chosen by the controller)
    flow_started = Signal(object)  # harness.gui.history.HistoryEntry (trace still empty)
    step_recorded = Signal(str, object)  # run_id, harness.core.trace.Step
    foreign_recorded = Signal(str)  # run_id: a request without the recording's token, kept apart
    flow_finished = Signal(str, object)  # run_id, harness.core.flow.FlowResult (None: a browser recording ended)
    flow_failed = Signal(str, str)  # run_id, why
    batch_progress = Signal(object)  # {"user": str, "idm_key": str, "kind": str, "result": FlowResult}
    batch_finished = Signal(str)  # a summary sentence
    battery_result = Signal(object)  # harness.core.battery.Result, one per scenario as it ends
    battery_finished = Signal(object)  # harness.core.battery.Report, or a str saying why it stopped

    # the workspace
    workspace_opened = Signal(object)  # harness.core.workspace.Workspace
    workspace_changed = Signal(str)  # what changed: "users" | "subscriptions" | "idp" | "keys" | "all"
    history_changed = Signal()
    workbench_sent = Signal(object)  # harness.core.workbench.send.SendResult
    workbench_failed = Signal(str)  # why the edited message could not be sent, in words
    workbench_recorded = Signal(str, object)  # run_id, SendResult: what the tester's browser got so far
    workbench_recording_ended = Signal(str)  # run_id: the workbench's browser recording stopped
    trace_imported = Signal(object, str)  # harness.core.trace.Trace read from a capture, its file

    # onboarding (harness/gui/views/onboarding/)
    metadata_read = Signal(object)  # harness.core.questionnaire.Questionnaire from fetched IdP metadata
    metadata_failed = Signal(str)  # why, in words
    checklist_step = Signal(object)  # harness.core.checklist.CheckStep (a copy), as each is decided
    checklist_trace_step = Signal(object)  # harness.core.trace.Step of the checklist's run
    checklist_finished = Signal(object)  # harness.core.checklist.ChecklistReport
    checklist_failed = Signal(str)  # why, in words
    sync_finished = Signal(str)  # the provisioning sync's plan and summary, or why it stopped

    # messages for the status bar / dialogs: level is "info" | "warning" | "error"
    message = Signal(str, str)

    def info(self, text: str) -> None:
        self.message.emit("info", text)

    def warning(self, text: str) -> None:
        self.message.emit("warning", text)

    def error(self, text: str) -> None:
        self.message.emit("error", text)
