"""Widgets: they render models and forward the tester's intent to the controller."""
