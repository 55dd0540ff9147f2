"""Bounds on what a capture may hold: a hostile file must cost little and fail in words."""

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_TEXT_CHARS = 4 * 1024 * 1024  # one URL, header, form value or kept page
MAX_HEADERS = 500
MAX_FORM_FIELDS = 1_000
