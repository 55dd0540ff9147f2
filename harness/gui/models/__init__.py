"""Qt item models over plain data (the workspace's dataclasses, traces); changed only in the GUI thread."""
