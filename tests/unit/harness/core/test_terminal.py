import io

from harness.core.terminal import VisibleWriter, field, visible

HOSTILE = "a\x1b[2J\x1b]8;;https://evil/\x07link\x1b]8;;\x07\rOVER\x7f\x85\u202eevil\u2066x\u2069\u200e\u200f\u200bz"


def test_every_control_and_direction_character_is_escaped():
    out = visible(HOSTILE)
    for raw in "\x1b\x07\r\x7f\x85\u202e\u2066\u2069\u200e\u200f\u200b":
        assert raw not in out
    assert "\\x1b[2J" in out and "\\x0d" in out and "\\u202e" in out and "\\x85" in out


def test_lines_and_tabs_stay_in_whole_output_but_not_inside_a_field():
    assert visible("a\n\tb") == "a\n\tb"
    assert field("alice\n      ✔ Signature verifies") == "alice\\x0a      ✔ Signature verifies"


def test_printable_unicode_passes_unchanged():
    text = "Jürgen Ωmega 名前 ✔ → — é"
    assert visible(text) == text == field(text)


def test_the_writer_escapes_what_goes_through_it():
    buf = io.StringIO()
    w = VisibleWriter(buf)
    w.write("x\x1b[31my\n")
    w.flush()
    assert buf.getvalue() == "x\\x1b[31my\n"
