"""The onboarding page of the desktop app: three tabs on the app's controller.

- Questionnaire (`questionnaire_form`): the Appendix-1 fields, validated as you type; creates the
  subscription.
- Test procedure (`checklist_panel`): the guide's checklist, demo or interactive.
- Provisioning rules (`rules_editor`): group → role/scope rules, a preview and the sync.

Workspace writes go through the controller's edits (undoable, applied to the running servers);
blocking work (a run, a metadata fetch, a sync) runs as the controller's Tasks and reports only
through the Bridge; widgets change in the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from harness.gui.views.onboarding.checklist_panel import ChecklistPanel
from harness.gui.views.onboarding.questionnaire_form import QuestionnaireForm
from harness.gui.views.onboarding.rules_editor import RulesEditor

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class OnboardingView(QWidget):
    """The three onboarding tabs on the app's controller."""

    workspace_changed = Signal(str)  # "subscriptions" | "rules": what this page changed

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.questionnaire = QuestionnaireForm(controller)
        self.checklist = ChecklistPanel(controller)
        self.rules = RulesEditor(controller)
        self.tabs.addTab(self.questionnaire, "Questionnaire")
        self.tabs.addTab(self.checklist, "Test procedure")
        self.tabs.addTab(self.rules, "Provisioning rules")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.questionnaire.subscription_created.connect(self._created)
        self.rules.changed.connect(lambda: self.workspace_changed.emit("rules"))

    def _created(self, idm_key: str) -> None:
        self.checklist.select(idm_key)
        self.rules.load()
        self.workspace_changed.emit("subscriptions")

    def shutdown(self) -> None:
        """Stop background work; the main window calls this before closing the workspace."""
        self.checklist.shutdown()
        self.rules.shutdown()

    def closeEvent(self, event: Any) -> None:  # Qt's name
        self.shutdown()
        super().closeEvent(event)


__all__ = ["ChecklistPanel", "OnboardingView", "QuestionnaireForm", "RulesEditor"]
