"""A how-to written inline as numbered steps is shown as a list (CLI, app, static site)."""

from __future__ import annotations

import pytest

from tricks_kb.render import how_to_steps


@pytest.mark.parametrize(("text", "steps"), [
    ("1. Baseline first. 2. Start from the checkpoint (lr 0.1. 2 GPUs). 3. Freeze late.",
     ["Baseline first.", "Start from the checkpoint (lr 0.1. 2 GPUs).", "Freeze late."]),
    ("1) measure\n   throughput 2) fix the loader", ["measure throughput", "fix the loader"]),
])
def test_numbered_steps_are_split(text: str, steps: list[str]) -> None:
    assert how_to_steps(text) == steps


@pytest.mark.parametrize("text", [
    "Use lr 0.1. 2 GPUs are enough.",           # a number after a full stop is not a step
    "Step 1. do this, then 3. that",            # not numbered from the start, not in order
    "1. A single step is a paragraph.",
    "Set `warmup_ratio` to 0.03 and train.",
])
def test_other_text_is_not_a_list(text: str) -> None:
    assert how_to_steps(text) is None


def test_show_prints_each_step_on_its_own_line(capsys) -> None:
    from tricks_kb.cli import main

    assert main(["show", "nan-loss-debugging"]) == 0
    out = capsys.readouterr().out
    how = out.split("How to", 1)[1].split("Applies to", 1)[0]
    assert "\n  1. " in how and "\n  2. " in how


def test_site_renders_numbered_steps_as_an_ordered_list(catalog_dir) -> None:
    from tricks_kb.catalog import load_catalog
    from tricks_kb.site import how_to_html

    t = load_catalog([catalog_dir]).tricks["nan-loss-debugging"]
    html = str(how_to_html(t.how_to))
    assert html.startswith("<ol>") and html.count("<li>") == len(how_to_steps(t.how_to)) >= 2
    assert str(how_to_html("Plain <b>text</b> and `a<b>`.")) == "<p>Plain &lt;b&gt;text&lt;/b&gt; and <code>a&lt;b&gt;</code>.</p>"
