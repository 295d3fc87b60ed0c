"""`tricks-kb mcp` driven by the MCP SDK's own stdio client: a real subprocess, the real model and index."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"search", "get_trick", "compare", "check_config"}
CONFIG = "optimizer: adamw\nlearning_rate: 3e-4\nlabel_smoothing: 0.1\ndropout: 0.0\n"


def _params(search_index) -> StdioServerParameters:
    env = {**os.environ, "TRICKS_KB_CATALOG": str(search_index.catalog_dir),
           "TRICKS_KB_INDEX": str(search_index.index_dir), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return StdioServerParameters(command=sys.executable, args=["-m", "tricks_kb", "mcp"], env=env, cwd=str(ROOT))


def _structured(result) -> dict:
    assert not result.is_error, result.content
    data = result.structured_content
    assert isinstance(data, dict), result
    # The text content carries the same JSON, for clients that ignore structured content.
    assert json.loads(result.content[0].text) == data
    return data


def _error_text(result) -> str:
    assert result.is_error, result
    return " ".join(getattr(c, "text", "") for c in result.content)


@pytest.fixture(scope="module")
def session_run(search_index):
    """Run one async scenario against one server process (the model loads once for the whole scenario)."""

    def run(scenario):
        async def main():
            with open(ROOT / "test-output" / "mcp-stderr.log", "w") as errlog:
                async with stdio_client(_params(search_index), errlog=errlog) as (read, write):
                    async with ClientSession(read, write) as session:
                        return await scenario(session)

        (ROOT / "test-output").mkdir(exist_ok=True)
        return anyio.run(main)

    return run


def test_initialize_lists_tools_and_the_rubric(session_run) -> None:
    async def scenario(session):
        t0 = time.perf_counter()
        init = await session.initialize()
        took = time.perf_counter() - t0
        tools = (await session.list_tools()).tools
        resources = (await session.list_resources()).resources
        rubric = await session.read_resource("tricks-kb://evidence-rubric")
        return init, took, tools, resources, rubric

    init, took, tools, resources, rubric = session_run(scenario)
    assert init.server_info.name == "tricks-kb"
    assert "search" in (init.instructions or "")
    assert took < 10, f"initialize took {took:.1f}s: the model must not load before the first search"
    by_name = {t.name: t for t in tools}
    assert set(by_name) == TOOLS
    props = by_name["search"].input_schema["properties"]
    assert {"query", "k", "category", "verdict", "grade", "domain", "tag", "year_min", "year_max"} <= set(props)
    assert by_name["search"].input_schema["required"] == ["query"]
    assert by_name["compare"].input_schema["required"] == ["ids"]
    assert all(t.description and t.output_schema for t in tools)
    assert [str(r.uri) for r in resources] == ["tricks-kb://evidence-rubric"]
    text = rubric.contents[0].text
    assert text.startswith("# Evidence grading") and "established" in text


def test_each_tool_returns_structured_json(session_run) -> None:
    async def scenario(session):
        await session.initialize()
        hits = await session.call_tool("search", {"query": "label smoothing", "k": 3})
        filtered = await session.call_tool("search", {"query": "optimizer", "k": 5, "category": ["optimizer"]})
        trick = await session.call_tool("get_trick", {"id": "Label smoothing"})
        cmp = await session.call_tool("compare", {"ids": ["adamw", "weight-decay"]})
        typo = await session.call_tool("search", {"query": "lable smothing", "k": 2})
        check = await session.call_tool("check_config", {"text": CONFIG, "filename": "train.yaml"})
        return hits, filtered, trick, cmp, typo, check

    hits, filtered, trick, cmp, typo, check = (_structured(r) for r in session_run(scenario))
    # the fixture catalog has no detect blocks: the contract's shape here, detection below on the real one
    assert check["format"] == "yaml" and {"file", "tricks", "findings", "unrecognised"} <= set(check)
    assert typo["corrected_query"] == "label smoothing" and typo["hits"][0]["id"] == "label-smoothing"
    assert hits["corrected_query"] is None and hits["loosen"] == {}
    assert hits["mode"] == "hybrid" and hits["notice"] is None
    top = hits["hits"][0]
    assert top["id"] == "label-smoothing" and len(hits["hits"]) == 3
    assert {"verdict", "grade", "category", "score", "matched", "matched_kind", "claim"} <= set(top)
    claim = top["claim"]
    assert claim["grade"] in "ABCD" and claim["statement"] and claim["grade_reasons"]
    assert claim["number"] == claim["index"] + 1  # claims count from 1 as in the app, CSV and `show`
    assert claim["sources"] and all(s["title"] and s["year"] for s in claim["sources"])
    assert all(h["category"] == "optimizer" for h in filtered["hits"]) and filtered["hits"]

    assert trick["id"] == "label-smoothing"
    assert all(c["grade"] in "ABCD" and c["grade_reasons"] for c in trick["claims"])
    assert trick["verdict"] in trick["supported_verdicts"] and trick["verdict_supported"] is True
    assert trick["best_grade"] in "ABCD" and trick["verdict_reason"]

    assert [t["id"] for t in cmp["tricks"]] == ["adamw", "weight-decay"]
    assert {r["trick"] for r in cmp["claims"]} == {t["name"] for t in cmp["tricks"]}
    assert all(r["grade"] in "ABCD" for r in cmp["claims"])


def test_bad_arguments_and_unknown_ids_are_tool_errors_not_crashes(session_run) -> None:
    async def scenario(session):
        await session.initialize()
        calls = [
            ("get_trick", {"id": "adamww"}),
            ("get_trick", {}),
            ("compare", {"ids": ["adamw"]}),
            ("compare", {"ids": ["adamw", "no-such-trick"]}),
            ("compare", {"ids": ["adamw", "AdamW"]}),
            ("search", {"query": "x", "k": 0}),
            ("search", {"query": "x", "k": "ten"}),
            ("search", {"query": "x", "verdict": ["proven"]}),
            ("search", {"query": "x", "year_min": 2024, "year_max": 2020}),
            ("check_config", {"text": "{not json", "filename": "train.json"}),
            ("no_such_tool", {}),
        ]
        out = [await session.call_tool(name, args) for name, args in calls]
        alive = await session.call_tool("get_trick", {"id": "adamw"})  # the server still answers
        return out, alive

    out, alive = session_run(scenario)
    texts = [_error_text(r) for r in out]
    assert "no trick" in texts[0] and "did you mean: adamw" in texts[0]
    assert "id" in texts[1]
    assert "2 to 4" in texts[2]
    assert "no-such-trick" in texts[3]
    assert "same one" in texts[4]
    assert "between 1 and 50" in texts[5]
    assert "k" in texts[6]
    assert "verdict" in texts[7] and "proven" in texts[7]
    assert "after year_max" in texts[8]
    assert "RC003" in texts[9] and "hint" in texts[9]
    assert "no_such_tool" in texts[10]
    assert not any("Traceback" in t for t in texts)
    assert _structured(alive)["id"] == "adamw"


def test_a_missing_index_or_catalog_degrades_with_a_reason(search_index, tmp_path) -> None:
    async def scenario(env):
        params = StdioServerParameters(command=sys.executable, args=["-m", "tricks_kb", "mcp"], env=env, cwd=str(ROOT))
        with open(tmp_path / "stderr.log", "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return (await session.call_tool("search", {"query": "label smoothing", "k": 2}),
                        await session.call_tool("get_trick", {"id": "adamw"}))

    base = {**os.environ, "HF_HUB_OFFLINE": "1", "TRICKS_KB_CATALOG": str(search_index.catalog_dir)}
    hits, trick = anyio.run(scenario, {**base, "TRICKS_KB_INDEX": str(tmp_path / "no-index")})
    data = _structured(hits)
    assert data["mode"] == "keyword" and "keyword search only" in data["notice"]
    assert data["hits"][0]["id"] == "label-smoothing"
    assert _structured(trick)["id"] == "adamw"

    hits, trick = anyio.run(scenario, {**base, "TRICKS_KB_CATALOG": str(tmp_path / "no-catalog")})
    assert "catalog folder" in _error_text(hits) and "hint:" in _error_text(hits)
    assert "catalog folder" in _error_text(trick)


def test_check_config_uses_the_catalogs_detect_blocks() -> None:
    """check_config on the shipped catalog: what the config turns on and off, with lines; no model needed."""
    env = {**os.environ, "TRICKS_KB_CATALOG": str(ROOT / "tricks"), "TRICKS_KB_INDEX": str(ROOT / "index"),
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "tricks_kb", "mcp"], env=env, cwd=str(ROOT))

    async def main():
        (ROOT / "test-output").mkdir(exist_ok=True)
        with open(ROOT / "test-output" / "mcp-check-stderr.log", "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await session.call_tool("check_config", {"text": CONFIG, "filename": "train.yaml"})

    check = _structured(anyio.run(main))
    used = {t["id"]: t for t in check["tricks"]}
    assert used["label-smoothing"]["state"] == "on" and used["label-smoothing"]["line"] == 3
    assert used["label-smoothing"]["settings"] == {"label_smoothing": "0.1"}
    assert used["dropout"]["state"] == "off" and used["adamw"]["source"] == "explicit"
    assert all(f["claims"] for f in check["findings"])
