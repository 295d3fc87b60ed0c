"""Recipe check: readers and their traps, detection, defaults, findings, the JSON contract, CLI, speed, floors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tricks_kb.cli import main
from tricks_kb.recipe.check import check_path, check_text
from tricks_kb.recipe.readers import ReadError, read_text

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "tests" / "fixtures" / "configs"
TRICK_KEYS = {"id", "name", "verdict", "grade", "settings", "line", "source", "state"}


def _by_id(res: dict) -> dict[str, dict]:
    return {t["id"]: t for t in res["tricks"]}


def test_format_is_detected_from_content_not_the_extension() -> None:
    assert read_text('{"learning_rate": 1e-4}', "args.txt.bak").format == "json"
    assert read_text("[optimizer]\nname = 'AdamW'\nlr = 3e-4\n").format == "toml"
    assert read_text("python train.py --lr 0.1 \\\n  --warmup-epochs=5\n").format == "cli"
    assert read_text("learning_rate = 6e-4\nmax_iters = 10\n").format == "python"
    assert read_text("optim:\n  lr: 1e-3\n").format == "yaml"
    with pytest.raises(ReadError) as exc:
        read_text("just prose, no settings\n")
    assert exc.value.code == "RC001" and exc.value.hint


def test_yaml_traps_are_read_as_data() -> None:
    p = read_text("a: 1e-8\nb: 739_328\nt: !!python/object/apply:os.system ['echo hi']\nc: !new:torch.optim.Adam\n  lr: 1\n")
    vals = {it.key: it.value for it in p.items}
    assert vals["a"] == 1e-8 and vals["b"] == 739328
    assert "t" in vals and any("!!python/object/apply" in n for n in p.notes)  # reported, never constructed
    assert vals["c._call_"] == "!new:torch.optim.Adam"


def test_python_config_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"import os\nos.system('touch {marker}')\nbatch = 5 * 8\nopt = dict(type='SGD', lr=0.1)\n"
    p = read_text(text, "cfg.py")
    vals = {it.key: it.value for it in p.items}
    assert vals["batch"] == 40 and vals["opt.type"] == "SGD" and not marker.exists()


def test_cli_flags_with_continuations_and_bare_flags() -> None:
    p = read_text("python train.py \\\n  --lr=0.1 --amp \\\n  --sched cosine\n", "run.sh")
    got = {it.key: (it.raw, it.line) for it in p.items}
    assert got["lr"] == ("0.1", 2) and got["amp"] == ("", 2) and got["sched"] == ("cosine", 3)


def test_size_limit() -> None:
    with pytest.raises(ReadError) as exc:
        read_text("a: 1\n" * 200_000)
    assert exc.value.code == "RC002"


def test_off_is_not_used_and_zero_loss_scale_means_dynamic() -> None:
    res = check_text('{"fp16": {"enabled": true, "loss_scale": 0}, "dropout": 0.0, "warmup_steps": 0}', "ds.json")
    t = _by_id(res)
    assert t["dynamic-loss-scaling"]["state"] == "on"
    assert t["dropout"]["state"] == "off" and t["lr-warmup"]["state"] == "off"
    assert set(res) == {"file", "format", "tricks", "findings", "unrecognised"}
    assert all(set(r) == TRICK_KEYS for r in res["tricks"])


def test_a_readme_config_block_is_read_with_its_own_reader_and_keeps_its_lines() -> None:
    readme = ("# Training\n\nPut this in `config.toml`:\n\n```toml\n[optimizer]\noptimizer_type = \"AdamW\"\n"
              "learning_rate = 1e-4\nmax_grad_norm = 1.0\n```\n\nThen run:\n\n```bash\n"
              "accelerate launch train.py --lr_warmup_steps 100 --mixed_precision bf16\n```\n\n"
              "```yaml\nbroken: [unclosed\n```\n\n```python\ndropout = 0.1\n```\n")
    res = check_text(readme, "README.md")
    t = _by_id(res)
    assert t["adamw"]["line"] == 7 and t["gradient-clipping"]["line"] == 9  # lines of the README, not the block
    assert t["lr-warmup"]["line"] == 15 and t["bf16-training"]["state"] == "on"
    assert "dropout" not in t  # a python block is code, not a config
    with pytest.raises(ReadError):  # prose and a code block with no flags and no config block: nothing to read
        check_text("# Notes\n\n```python\nmodel.train()\n```\n", "README.md")
    with pytest.raises(ReadError) as exc:  # only a broken config block: its own error, at its line in the README
        check_text("# Notes\n\nSet:\n\n```toml\n[optimizer\nlr = 1\n```\n", "README.md")
    assert exc.value.code == "RC003" and exc.value.line == 6 and "toml block" in exc.value.message


def test_hf_defaults_are_marked_as_defaults() -> None:
    res = check_text("output_dir: out\nper_device_train_batch_size: 8\nlr_scheduler_type: cosine\nlogging_steps: 10\n")
    t = _by_id(res)
    assert t["adamw"]["source"] == "default" and t["gradient-clipping"]["source"] == "default"
    assert t["cosine-decay"]["source"] == "explicit"
    assert "linear-decay-to-zero" not in t  # an explicit schedule replaces the default one


def test_findings_rest_on_claims_and_strict_exits_one(capsys: pytest.CaptureFixture) -> None:
    path = CONFIGS / "pytorch-auto-drive-adam-wd.py"
    res = check_path(path)
    (f,) = [f for f in res["findings"] if f["severity"] == "conflict"]
    assert f["trick"] == "adamw" and f["line"] == 7 and f["claims"] and f["claims"][0]["grade"] in "ABCD"
    assert main(["check", str(path), "--strict", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["severity"] == "conflict"
    assert main(["check", str(CONFIGS / "llava-zero2.json"), "--strict"]) == 0
    capsys.readouterr()
    assert main(["check", str(path), "--json"]) == 0  # the same shorthand as search --json
    assert json.loads(capsys.readouterr().out)["findings"][0]["severity"] == "conflict"


def test_fp16_without_loss_scaling_and_muon_on_embeddings() -> None:
    res = check_text('{"fp16": {"enabled": true, "loss_scale": 1}}', "ds.json")
    assert any(f["trick"] == "mixed-precision-fp16" for f in res["findings"])
    res = check_text("optimizer:\n  name: muon\n  muon_params: all\n")
    assert any(f["trick"] == "muon" and f["severity"] == "caution" for f in res["findings"])


def test_against_base_larger_batch_same_lr() -> None:
    base = "per_device_train_batch_size: 8\nlearning_rate: 1.0e-4\noutput_dir: o\nlogging_steps: 1\n"
    new = base.replace("8\n", "64\n", 1)
    res = check_text(new, "new.yaml", against=base)
    assert any(f["trick"] == "linear-scaling-rule" for f in res["findings"])
    assert check_text(base, "same.yaml", against=base)["changes"] == []


def test_cli_errors_are_positioned_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "RC003" in err and "hint:" in err and "Traceback" not in err


def test_check_never_imports_torch_and_is_fast() -> None:
    code = ("import sys, time; from tricks_kb.recipe.check import check_path, catalog_tricks; from pathlib import Path;"
            "catalog_tricks(); t=time.perf_counter();"
            f"[check_path(p) for p in sorted(Path({str(CONFIGS)!r}).glob('*.y*ml')) if p.name != 'labels.yaml'];"
            "n=len([p for p in Path({0!r}).glob('*.y*ml')]);".format(str(CONFIGS)) +
            "print(time.perf_counter()-t, n, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    per_config = float(out[0]) / int(out[1])
    assert out[2] == "False" and out[3] == "False"
    assert per_config < 0.5, per_config  # well under a second per config, machine loaded


def test_detection_and_findings_stay_above_their_floors() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_recipe import evaluate

    t0 = time.perf_counter()
    res = evaluate()
    assert res["configs"] >= 30 and time.perf_counter() - t0 < 120
    # floors from the measured figures (docs/benchmarks.md), a little below them; precision is 0.922 because
    # entries written after these labels detect what the labels could not name (fused optimizers, tf32, ctc_weight)
    assert res["detection"]["recall"] >= 0.95 and res["detection"]["precision"] >= 0.92
    assert res["off"]["recall"] >= 0.90 and res["off"]["precision"] >= 0.88
    assert res["findings"]["recall"] >= 0.80 and res["findings"]["precision"] >= 0.70


@pytest.mark.parametrize(("name", "floors"), [
    # the second set: drawn blind, then read to add frameworks and keys (0.852 / 0.972 at stop 22, 0.926 / 0.974
    # at stop 23; off 0.714 / 0.909)
    ("set2", {"detection": (0.88, 0.95), "off": (0.65, 0.85)}),
    # the third set, held out and never read: measured after each step of stop 22's framework work
    # (detection 0.552 -> 0.668 -> 0.718, precision 0.933 -> 0.944 -> 0.942; off 0.520 / 0.684)
    ("set3", {"detection": (0.67, 0.90), "off": (0.45, 0.60)}),
])
def test_later_config_sets_stay_above_their_floors(name: str, floors: dict) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_recipe import SETS, evaluate

    res = evaluate(configs=SETS[name])
    assert res["configs"] >= 20
    for part, (recall, precision) in floors.items():
        assert res[part]["recall"] >= recall and res[part]["precision"] >= precision, (part, res[part])


def test_deepspeed_and_megatron_style_configs() -> None:
    ds = ('{"gradient_clipping": 1.0, "optimizer": {"type": "AdamW", "params": {"lr": 3e-4, "weight_decay": 0.1}},'
          ' "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_num_steps": 2000}},'
          ' "fp16": {"enabled": true, "loss_scale": 0}, "zero_optimization": {"stage": 3}}')
    t = _by_id(check_text(ds, "ds_config.json"))
    assert {"adamw", "weight-decay", "lr-warmup", "gradient-clipping", "mixed-precision-fp16",
            "dynamic-loss-scaling", "zero-redundancy-optimizer"} <= {k for k, v in t.items() if v["state"] == "on"}
    mega = ("torchrun pretrain_gpt.py --lr 3.0e-4 --lr-decay-style cosine --lr-warmup-fraction .01 \\\n"
            "  --clip-grad 1.0 --bf16 --recompute-activations --hidden-dropout 0.0\n")
    t = _by_id(check_text(mega, "run.sh"))
    assert {"cosine-decay", "lr-warmup", "gradient-clipping", "bf16-training", "gradient-checkpointing"} <= set(t)
    assert t["dropout"]["state"] == "off" and t["lr-warmup"]["line"] == 1


def test_settings_inside_a_switched_off_block_never_turn_a_trick_on() -> None:
    ds = '{"fp16": {"enabled": false, "loss_scale": 0, "initial_scale_power": 16}, "bf16": {"enabled": true}}'
    t = _by_id(check_text(ds, "ds_config.json"))
    assert t["bf16-training"]["state"] == "on"
    assert t["mixed-precision-fp16"]["state"] == "off"
    assert t["dynamic-loss-scaling"]["state"] == "off"
    on = _by_id(check_text(ds.replace('"enabled": false', '"enabled": true', 1), "ds_config.json"))
    assert on["dynamic-loss-scaling"]["state"] == "on"


def test_markdown_shows_config_text_as_code_never_as_links() -> None:
    from tricks_kb.recipe.report import render_markdown

    md = render_markdown([check_text('optim: "adamw[x](javascript:alert(1))"\n', "a.yaml")])
    assert "`optim=adamw[x](javascript:alert(1))`" in md
    assert md.count("](javascript") == 1  # only inside that code span


def test_a_readme_block_that_cannot_be_read_is_reported_beside_the_rest(tmp_path):
    from tricks_kb.recipe.report import render_markdown, render_text

    readme = tmp_path / "README.md"
    readme.write_text("```yaml\nlr: [\n```\n\n```bash\npython train.py --max_grad_norm 1.0\n```\n", encoding="utf-8")
    result = check_path(readme)
    assert "gradient-clipping" in {t["id"] for t in result["tricks"]}
    text = render_text([result])
    assert "note: the yaml block at line 2 was not read" in text
    assert "yaml block at line 2" in render_markdown([result])
    # what was read as text (tags, references) is not a loss and is not reported as one
    tagged = tmp_path / "hparams.yaml"
    tagged.write_text("lr: 0.001\nopt_class: !name:torch.optim.Adam\n    lr: !ref <lr>\n", encoding="utf-8")
    assert "note:" not in render_text([check_path(tagged)])
