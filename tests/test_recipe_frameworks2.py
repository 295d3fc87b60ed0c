"""Frameworks added for the recipe check (second batch): verl, kohya sd-scripts, SpeechBrain, TRL GRPOConfig.

Each snippet is written in the framework's own syntax; it must be inferred as that framework, get the
defaults documented in docs/framework-defaults.md with ``source: default``, and an explicit setting must
override a default.
"""

from __future__ import annotations

from tricks_kb.recipe.check import check_text
from tricks_kb.recipe.defaults import infer
from tricks_kb.recipe.readers import read_text


def _fw(text: str, name: str) -> str | None:
    parsed = read_text(text, name)
    fw = infer(parsed.items, parsed.format)
    return fw.id if fw else None


def _tricks(text: str, name: str) -> dict[str, dict]:
    return {t["id"]: t for t in check_text(text, name)["tricks"]}


VERL = """set -x
python3 -m verl.trainer.main_ppo \\
    algorithm.adv_estimator=grpo \\
    data.train_batch_size=1024 \\
    actor_rollout_ref.model.path=Qwen/Qwen2.5-7B-Instruct \\
    actor_rollout_ref.actor.optim.lr=1e-6 \\
    actor_rollout_ref.actor.ppo_mini_batch_size=256 \\
    actor_rollout_ref.rollout.n=5 \\
    trainer.total_epochs=15 $@
"""


def test_verl_hydra_overrides_are_read_and_defaults_apply():
    assert _fw(VERL, "run_qwen2_5_7b_grpo.sh") == "verl"
    t = _tricks(VERL, "run_qwen2_5_7b_grpo.sh")
    assert t["grpo"]["source"] == "explicit" and t["grpo"]["line"] == 3
    for trick in ("adamw", "weight-decay", "gradient-clipping", "gradient-checkpointing", "bf16-training"):
        assert t[trick]["source"] == "default" and t[trick]["state"] == "on", trick
    for trick in ("ppo-kl-control", "rl-entropy-control", "lr-warmup"):
        assert t[trick]["source"] == "default" and t[trick]["state"] == "off", trick


def test_verl_explicit_settings_override_defaults():
    text = VERL.replace("trainer.total_epochs=15", "actor_rollout_ref.actor.use_kl_loss=True \\\n"
                        "    actor_rollout_ref.actor.entropy_coeff=0.001 \\\n"
                        "    actor_rollout_ref.model.enable_gradient_checkpointing=False \\\n"
                        "    actor_rollout_ref.actor.optim.lr_warmup_steps_ratio=0.05 \\\n"
                        "    trainer.total_epochs=15")
    t = _tricks(text, "run.sh")
    assert t["ppo-kl-control"]["source"] == "explicit" and t["ppo-kl-control"]["state"] == "on"
    assert t["rl-entropy-control"]["source"] == "explicit" and t["rl-entropy-control"]["state"] == "on"
    assert t["lr-warmup"]["source"] == "explicit" and t["lr-warmup"]["state"] == "on"
    assert t["gradient-checkpointing"]["source"] == "explicit" and t["gradient-checkpointing"]["state"] == "off"


def test_hydra_override_reader_leaves_env_assignments_alone():
    parsed = read_text("CUDA_VISIBLE_DEVICES=0,1 python3 -m verl.trainer.main_ppo ++trainer.val_before_train=False\n",
                       "run.sh")
    keys = [it.key for it in parsed.items]
    assert "trainer.val_before_train" in keys and not any("CUDA" in k for k in keys)


KOHYA = """accelerate launch --num_cpu_threads_per_process 1 train_network.py \\
  --pretrained_model_name_or_path=runwayml/stable-diffusion-v1-5 \\
  --train_data_dir=./data --output_dir=./out --output_name=mylora \\
  --network_module=networks.lora --network_dim=16 --network_alpha=8 \\
  --learning_rate=1e-4 --mixed_precision=fp16 --save_model_as=safetensors
"""


def test_kohya_train_network_defaults():
    assert _fw(KOHYA, "train.sh") == "kohya"
    t = _tricks(KOHYA, "train.sh")
    assert t["lora"]["source"] == "explicit"
    for trick in ("adamw", "weight-decay", "gradient-clipping"):
        assert t[trick]["source"] == "default" and t[trick]["state"] == "on", trick


def test_kohya_explicit_settings_override_defaults():
    t = _tricks(KOHYA.replace("--save_model_as", "--optimizer_type=Lion --max_grad_norm=0 --save_model_as"),
                "train.sh")
    assert "adamw" not in t and "weight-decay" not in t
    assert t["gradient-clipping"]["source"] == "explicit" and t["gradient-clipping"]["state"] == "off"


SPEECHBRAIN = """seed: 1986
number_of_epochs: 30
precision: fp16
lr: 0.001
epoch_counter: !new:speechbrain.utils.epoch_loop.EpochCounter
    limit: !ref <number_of_epochs>
opt_class: !name:torch.optim.Adam
    lr: !ref <lr>
"""


def test_speechbrain_run_option_defaults():
    assert _fw(SPEECHBRAIN, "train.yaml") == "speechbrain"
    t = _tricks(SPEECHBRAIN, "train.yaml")
    assert t["gradient-clipping"]["source"] == "default"
    assert t["gradient-clipping"]["settings"].get("max_grad_norm") == "5.0"
    assert t["dynamic-loss-scaling"]["source"] == "default"  # GradScaler with precision fp16


def test_speechbrain_explicit_settings_override_defaults():
    t = _tricks(SPEECHBRAIN.replace("precision: fp16", "precision: fp32\nmax_grad_norm: 0.0"), "train.yaml")
    assert t["gradient-clipping"]["source"] == "explicit" and t["gradient-clipping"]["state"] == "off"
    assert "dynamic-loss-scaling" not in t


GRPO = """model_name_or_path: Qwen/Qwen2.5-1.5B-Instruct
dataset_name: open-r1/OpenR1-Math-220k
learning_rate: 1.0e-06
num_generations: 16
max_completion_length: 1024
use_vllm: true
per_device_train_batch_size: 16
output_dir: data/Qwen2.5-1.5B-Open-R1-GRPO
"""


def test_trl_grpo_config_defaults():
    assert _fw(GRPO, "config.yaml") == "trl-grpo"
    t = _tricks(GRPO, "config.yaml")
    for trick in ("grpo", "gradient-checkpointing", "bf16-training", "adamw", "gradient-clipping"):
        assert t[trick]["source"] == "default" and t[trick]["state"] == "on", trick
    assert t["ppo-kl-control"]["source"] == "default" and t["ppo-kl-control"]["state"] == "off"  # beta 0.0


def test_trl_grpo_explicit_beta_overrides_default():
    t = _tricks(GRPO + "beta: 0.04\n", "config.yaml")
    assert t["ppo-kl-control"]["source"] == "explicit" and t["ppo-kl-control"]["state"] == "on"


def test_trl_sft_config_is_not_taken_for_grpo():
    sft = "model_name_or_path: x\ndataset_name: y\nlearning_rate: 2.0e-05\npacking: true\noutput_dir: o\n"
    assert _fw(sft, "config.yaml") == "trl"


def test_second_batch_frameworks_cite_a_pinned_commit():
    from tricks_kb.recipe.defaults import BY_ID

    for fid in ("verl", "kohya", "speechbrain", "trl-grpo"):
        src = BY_ID[fid].source
        assert "/blob/" in src and len(src.split("/blob/")[1].split("/")[0]) == 40, fid


def test_second_batch_frameworks_leave_other_development_configs_alone():
    from pathlib import Path

    from tricks_kb.recipe.check import check_path

    root = Path(__file__).parent / "fixtures" / "configs"
    for f in sorted(root.iterdir()):
        if f.name in ("labels.yaml", "README.md"):
            continue
        fw = check_path(f)["_framework"]
        if f.name.startswith("speechbrain-"):
            assert fw and fw["id"] == "speechbrain", f.name
        else:
            assert not fw or fw["id"] not in {"verl", "kohya", "speechbrain", "trl-grpo"}, f.name
