"""Recipe check: framework defaults of Megatron-LM, OpenRLHF, DeiT, open_clip, LLaMA-Factory, verl, kohya
sd-scripts, SpeechBrain and TRL GRPOConfig.

Per framework: a snippet in its real syntax is inferred as that framework and gets the defaults that
docs/framework-defaults.md documents (``source: default``); an explicit setting overrides a default; the
framework's own keys are detected. Facts and their pinned sources are in docs/framework-defaults.md.
"""

from __future__ import annotations

import pytest

from tricks_kb.recipe.check import check_path, check_text
from tricks_kb.recipe.defaults import BY_ID, infer
from tricks_kb.recipe.readers import ReadError, read_text


def _tricks(text: str, filename: str) -> dict[str, dict]:
    return {t["id"]: t for t in check_text(text, filename)["tricks"]}


def _framework(text: str, filename: str) -> str | None:
    parsed = read_text(text, filename)
    fw = infer(parsed.items, parsed.format)
    return fw.id if fw else None


def _default(tricks: dict[str, dict], tid: str, state: str = "on") -> bool:
    return tid in tricks and tricks[tid]["source"] == "default" and tricks[tid]["state"] == state


def _explicit(tricks: dict[str, dict], tid: str, state: str = "on") -> bool:
    return tid in tricks and tricks[tid]["source"] == "explicit" and tricks[tid]["state"] == state


# --- Megatron-LM --------------------------------------------------------------------------------

MEGATRON = """#!/bin/bash
GPUS_PER_NODE=8
MICRO_BATCH_SIZE=2
GPT_MODEL_ARGS=(
    --num-layers 24
    --hidden-size 2048
    --num-attention-heads 16
    --seq-length 4096
    --max-position-embeddings 4096
    --swiglu
    --untie-embeddings-and-output-weights
)
TRAINING_ARGS=(
    --micro-batch-size $MICRO_BATCH_SIZE
    --global-batch-size 512
    --train-iters 100000
    --lr 3.0e-4
    --lr-decay-style cosine
    --fp16
)
DTYPE_ARGS=(
    "--fp8-format hybrid"
)
torchrun --nproc_per_node $GPUS_PER_NODE pretrain_gpt.py \\
    ${GPT_MODEL_ARGS[@]} \\
    ${TRAINING_ARGS[@]} \\
    ${DTYPE_ARGS[@]}
"""


def test_megatron_is_inferred_and_gets_its_defaults() -> None:
    assert _framework(MEGATRON, "train.sh") == "megatron"
    t = _tricks(MEGATRON, "train.sh")
    for tid in ("adamw", "weight-decay", "no-decay-norm-bias", "gradient-clipping", "dynamic-loss-scaling"):
        assert _default(t, tid), tid
    assert t["gradient-clipping"]["settings"] == {"clip-grad": "1.0"}
    assert _explicit(t, "cosine-decay") and _explicit(t, "mixed-precision-fp16")


def test_megatron_keys_are_detected() -> None:
    t = _tricks(MEGATRON, "train.sh")
    assert _explicit(t, "swiglu")
    assert _explicit(t, "weight-tying", "off")
    assert _explicit(t, "fp8-training")  # a quoted "--flag value" array element
    assert _explicit(t, "gradient-accumulation")  # 512 > $MICRO_BATCH_SIZE (2), read from its assignment
    s = ("torchrun pretrain_gpt.py --use-distributed-optimizer --use-flash-attn --recompute-granularity full "
         "--rampup-batch-size 16 16 5859375 --decoupled-lr 5e-4 --attention-backend flash\n")
    t = _tricks(s, "run.sh")
    for tid in ("zero-redundancy-optimizer", "flash-attention", "gradient-checkpointing", "batch-size-warmup",
                "embedding-lr-scaling"):
        assert _explicit(t, tid), tid


def test_megatron_explicit_settings_override_its_defaults() -> None:
    s = MEGATRON.replace("    --fp16\n", "    --fp16\n    --loss-scale 4096\n    --clip-grad 0.0\n"
                         "    --weight-decay 0.0\n    --optimizer sgd\n")
    t = _tricks(s, "train.sh")
    assert _explicit(t, "gradient-clipping", "off")
    assert _explicit(t, "weight-decay", "off")
    assert "adamw" not in t and "no-decay-norm-bias" not in t
    # --optimizer adam is AdamW in Megatron (decoupled_weight_decay True): reported as adamw, explicit
    t = _tricks(MEGATRON.replace("    --fp16\n", "    --optimizer adam\n"), "train.sh")
    assert _explicit(t, "adamw") and "adam" not in t
    assert "dynamic-loss-scaling" not in t  # only with --fp16


# --- OpenRLHF -----------------------------------------------------------------------------------

OPENRLHF_DPO = """read -r -d '' training_commands <<EOF
openrlhf.cli.train_dpo \\
   --ckpt.output_dir ./checkpoint/llama3-8b-dpo \\
   --train.batch_size 256 \\
   --train.micro_batch_size 1 \\
   --model.model_name_or_path OpenRLHF/Llama-3-8b-sft-mixture \\
   --ds.param_dtype bf16 \\
   --ds.zero_stage 3 \\
   --adam.lr 5e-7 \\
   --model.beta 0.1 \\
   --ckpt.load_enable \\
   --ds.packing_samples \\
   --model.gradient_checkpointing_enable
EOF
deepspeed --module $training_commands
"""

OPENRLHF_PPO = """python3 -m openrlhf.cli.train_ppo_ray \\
   --actor.model_name_or_path OpenRLHF/Llama-3-8b-sft-mixture \\
   --train.batch_size 128 \\
   --rollout.batch_size 1024 \\
   --actor.adam.lr 5e-7 \\
   --critic.adam.lr 9e-6 \\
   --algo.kl.init_coef 0.01 \\
   --reward.normalize_enable \\
   --actor.gradient_checkpointing_enable
"""


def test_openrlhf_is_inferred_and_gets_its_defaults() -> None:
    for text in (OPENRLHF_DPO, OPENRLHF_PPO):
        assert _framework(text, "train.sh") == "openrlhf"
        t = _tricks(text, "train.sh")
        for tid in ("adamw", "adam-beta2-lowering", "cosine-decay", "lr-warmup", "gradient-clipping"):
            assert _default(t, tid), tid
        assert _default(t, "weight-decay", "off")
        assert "no-decay-norm-bias" not in t  # only when weight decay is turned on
        assert t["lr-warmup"]["settings"] == {"lr_warmup_ratio": "0.03"}


def test_openrlhf_dotted_keys_are_detected() -> None:
    t = _tricks(OPENRLHF_DPO, "train.sh")
    for tid in ("dpo-beta", "sequence-packing", "gradient-checkpointing", "checkpoint-resume",
                "gradient-accumulation", "zero-redundancy-optimizer", "bf16-training"):
        assert _explicit(t, tid), tid
    t = _tricks(OPENRLHF_PPO, "train.sh")
    for tid in ("ppo-kl-control", "reward-normalization", "gradient-checkpointing"):
        assert _explicit(t, tid), tid
    # model.beta is DPO's beta only under OpenRLHF
    assert "dpo-beta" not in _tricks("model:\n  beta: 0.5\n  name: x\n", "cfg.yaml")


def test_openrlhf_explicit_settings_override_its_defaults() -> None:
    s = OPENRLHF_DPO.replace("   --adam.lr 5e-7 \\\n", "   --adam.lr 5e-7 \\\n   --max_norm 0 \\\n"
                             "   --lr_scheduler constant \\\n   --lr_warmup_ratio 0 \\\n"
                             "   --adam.weight_decay 0.01 \\\n")
    t = _tricks(s, "train.sh")
    assert _explicit(t, "gradient-clipping", "off")
    assert _explicit(t, "lr-warmup", "off")
    assert "cosine-decay" not in t  # the config chose its schedule
    assert _explicit(t, "weight-decay") and _default(t, "no-decay-norm-bias")
    t = _tricks(OPENRLHF_DPO.replace("   --adam.lr 5e-7 \\\n", "   --optim adam \\\n"), "train.sh")
    assert _explicit(t, "adamw") and "adam" not in t  # OpenRLHF's "adam" is DeepSpeed AdamW


# --- DeiT ---------------------------------------------------------------------------------------

DEIT = ("python -m torch.distributed.launch --nproc_per_node=4 --use_env main.py --model deit_small_patch16_224 "
        "--batch-size 256 --data-path /path/to/imagenet --output_dir /path/to/save\n")


def test_deit_is_inferred_and_gets_its_defaults() -> None:
    assert _framework(DEIT, "run.sh") == "deit"
    t = _tricks(DEIT, "run.sh")
    for tid in ("adamw", "weight-decay", "no-decay-norm-bias", "linear-scaling-rule", "cosine-decay", "lr-warmup",
                "label-smoothing", "mixup", "cutmix", "randaugment", "random-erasing", "repeated-augmentation",
                "stochastic-depth", "ema-weights", "mixed-precision-fp16", "dynamic-loss-scaling"):
        assert _default(t, tid), tid
    assert t["randaugment"]["settings"] == {"aa": "rand-m9-mstd0.5-inc1"}


def test_deit_explicit_settings_override_its_defaults() -> None:
    s = DEIT.rstrip("\n") + (" --smoothing 0 --mixup 0 --cutmix 0 --reprob 0 --drop-path 0 --no-model-ema"
                             " --no-repeated-aug --unscale-lr --opt sgd --sched step\n")
    t = _tricks(s, "run.sh")
    for tid in ("label-smoothing", "mixup", "cutmix", "random-erasing", "stochastic-depth", "ema-weights",
                "repeated-augmentation", "linear-scaling-rule"):
        assert _explicit(t, tid, "off"), tid
    assert "adamw" not in t and "cosine-decay" not in t
    # timm's own train.py keeps timm's defaults, not DeiT's
    timm = "./distributed_train.sh 8 /imagenet --model resnet50 --sched cosine --aa rand-m9-mstd0.5 --amp\n"
    assert _framework(timm, "run.sh") == "timm"


# --- open_clip ----------------------------------------------------------------------------------

OPEN_CLIP = """srun python -m open_clip_train.main \\
    --train-data "/data/laion/{00000..41455}.tar" \\
    --train-num-samples 135646078 \\
    --dataset-type webdataset \\
    --batch-size 256 \\
    --epochs 32 \\
    --model ViT-B-32 \\
    --local-loss \\
    --gather-with-grad
"""


def test_open_clip_is_inferred_and_gets_its_defaults() -> None:
    assert _framework(OPEN_CLIP, "train.sh") == "open-clip"
    t = _tricks(OPEN_CLIP, "train.sh")
    for tid in ("adamw", "weight-decay", "no-decay-norm-bias", "adam-beta2-lowering", "adam-epsilon",
                "cosine-decay", "lr-warmup", "bf16-training", "contrastive-temperature"):
        assert _default(t, tid), tid
    assert t["weight-decay"]["settings"] == {"wd": "0.2"}


def test_open_clip_betas_are_per_model_and_explicit_settings_override() -> None:
    t = _tricks(OPEN_CLIP.replace("ViT-B-32", "RN50"), "train.sh")
    assert "adam-beta2-lowering" not in t and "adam-epsilon" not in t  # ResNets keep 0.999 / 1e-8
    s = OPEN_CLIP.rstrip("\n") + " \\\n    --precision fp32 --warmup 0 --wd 0 --beta2 0.999\n"
    t = _tricks(s, "train.sh")
    assert "bf16-training" not in t  # --precision decided
    assert _explicit(t, "lr-warmup", "off") and _explicit(t, "weight-decay", "off")
    assert "adam-beta2-lowering" not in t  # an explicit --beta2 decides; 0.999 is no lowering
    t = _tricks(OPEN_CLIP.rstrip("\n") + " \\\n    --precision amp_bfloat16\n", "train.sh")
    assert _explicit(t, "bf16-training")


# --- LLaMA-Factory ------------------------------------------------------------------------------

LLAMAFACTORY = """### model
model_name_or_path: Qwen/Qwen3-4B-Instruct-2507
### method
stage: dpo
do_train: true
finetuning_type: lora
lora_target: all
pref_beta: 0.1
### dataset
dataset: dpo_en_demo
template: qwen3_nothink
cutoff_len: 2048
### train
output_dir: saves/qwen3-4b/lora/dpo
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 5.0e-6
num_train_epochs: 3.0
"""


def test_llamafactory_is_inferred_and_adds_gradient_checkpointing_to_the_hf_defaults() -> None:
    assert _framework(LLAMAFACTORY, "qwen3_lora_dpo.yaml") == "llamafactory"
    t = _tricks(LLAMAFACTORY, "qwen3_lora_dpo.yaml")
    assert _default(t, "gradient-checkpointing")
    for tid in ("adamw", "linear-decay-to-zero", "gradient-clipping"):  # inherited from hf-trainer
        assert _default(t, tid), tid
    t = _tricks(LLAMAFACTORY + "disable_gradient_checkpointing: true\n", "qwen3_lora_dpo.yaml")
    assert _explicit(t, "gradient-checkpointing", "off")


# --- all new frameworks -------------------------------------------------------------------------

def test_every_new_framework_cites_a_pinned_commit() -> None:
    for fid in ("megatron", "openrlhf", "deit", "open-clip", "llamafactory"):
        fw = BY_ID[fid]
        assert "/blob/" in fw.source and len(fw.source.split("/blob/")[1].split("/")[0]) == 40, fid


def test_new_frameworks_leave_the_development_configs_alone(tmp_path) -> None:
    from pathlib import Path

    root = Path(__file__).parent / "fixtures" / "configs"
    new = {"megatron", "openrlhf", "deit", "open-clip", "llamafactory"}
    for f in sorted(root.iterdir()):
        if f.name in ("labels.yaml", "README.md"):
            continue
        fw = check_path(f)["_framework"]
        assert not fw or fw["id"] not in new, f.name


def test_open_clip_gathered_negatives_are_contrastive_batch_size() -> None:
    t = _tricks(OPEN_CLIP, "train.sh")
    assert _explicit(t, "contrastive-batch-size")
    assert t["contrastive-batch-size"]["settings"]["gather-with-grad"] == ""


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
    assert _framework(VERL, "run_qwen2_5_7b_grpo.sh") == "verl"
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
    assert _framework(KOHYA, "train.sh") == "kohya"
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
    assert _framework(SPEECHBRAIN, "train.yaml") == "speechbrain"
    t = _tricks(SPEECHBRAIN, "train.yaml")
    assert t["gradient-clipping"]["source"] == "default"
    assert t["gradient-clipping"]["settings"].get("max_grad_norm") == "5.0"
    assert t["dynamic-loss-scaling"]["source"] == "default"  # GradScaler with precision fp16


def test_speechbrain_explicit_settings_override_defaults():
    t = _tricks(SPEECHBRAIN.replace("precision: fp16", "precision: fp32\nmax_grad_norm: 0.0"), "train.yaml")
    assert t["gradient-clipping"]["source"] == "explicit" and t["gradient-clipping"]["state"] == "off"
    assert "dynamic-loss-scaling" not in t


SPEECHBRAIN_CLASSES = SPEECHBRAIN + """sorting: ascending
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: 80
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
lr_annealing: !new:speechbrain.nnet.schedulers.NoamScheduler
    lr_initial: 0.001
    n_warmup_steps: 25000
"""


def test_speechbrain_classes_name_their_tricks():
    t = _tricks(SPEECHBRAIN_CLASSES, "train.yaml")
    for tid in ("inverse-sqrt-decay", "input-normalization", "length-grouped-batching"):
        assert _explicit(t, tid), tid
    assert "cyclical-lr" not in t and "specaugment" not in t


def test_speechbrain_buckets_and_ctc_weight():
    # DynamicBatchSampler(num_buckets=...) batches by length; 1 bucket batches everything together
    sampler = "dynamic_batch_sampler:\n    num_buckets: {n}\n    max_batch_length: 400\nctc_weight: {w}\n"
    t = _tricks(SPEECHBRAIN + sampler.format(n=60, w=0.3), "train.yaml")
    assert _explicit(t, "length-grouped-batching") and _explicit(t, "joint-ctc-attention")
    t = _tricks(SPEECHBRAIN + sampler.format(n=1, w=0.0), "train.yaml")
    assert t["length-grouped-batching"]["state"] == "off" and t["joint-ctc-attention"]["state"] == "off"
    # ctc_weight 1.0 is CTC alone, not the joint model; num_buckets outside SpeechBrain means something else
    assert "joint-ctc-attention" not in _tricks(SPEECHBRAIN + "ctc_weight: 1.0\n", "train.yaml")
    assert "length-grouped-batching" not in _tricks("hash:\n  num_buckets: 64\nlr: 0.1\n", "cfg.yaml")


def test_a_setting_in_an_unrelated_block_is_not_shown_for_a_trick():
    t = _tricks(SPEECHBRAIN_CLASSES, "train.yaml")
    # norm_type under the input normaliser is not the clipping norm of the SpeechBrain default
    assert t["gradient-clipping"]["settings"] == {"max_grad_norm": "5.0"}
    nested = "optim:\n  clip_grad:\n    max_norm: 1.0\n    norm_type: 2\nnorm:\n  norm_type: sentence\n"
    clip = _tricks(nested, "config.yaml")["gradient-clipping"]
    assert clip["settings"].get("norm_type") == "2"


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
    assert _framework(GRPO, "config.yaml") == "trl-grpo"
    t = _tricks(GRPO, "config.yaml")
    for trick in ("grpo", "gradient-checkpointing", "bf16-training", "adamw", "gradient-clipping"):
        assert t[trick]["source"] == "default" and t[trick]["state"] == "on", trick
    assert t["ppo-kl-control"]["source"] == "default" and t["ppo-kl-control"]["state"] == "off"  # beta 0.0


def test_trl_grpo_explicit_beta_overrides_default():
    t = _tricks(GRPO + "beta: 0.04\n", "config.yaml")
    assert t["ppo-kl-control"]["source"] == "explicit" and t["ppo-kl-control"]["state"] == "on"


def test_trl_sft_config_is_not_taken_for_grpo():
    sft = "model_name_or_path: x\ndataset_name: y\nlearning_rate: 2.0e-05\npacking: true\noutput_dir: o\n"
    assert _framework(sft, "config.yaml") == "trl"


def test_second_batch_frameworks_cite_a_pinned_commit():
    from tricks_kb.recipe.defaults import BY_ID

    for fid in ("verl", "kohya", "speechbrain", "trl-grpo", "deepspeed"):
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


DS_CONFIG = """{
  "train_micro_batch_size_per_gpu": 4,
  "gradient_accumulation_steps": 8,
  "fp16": {"enabled": true},
  "zero_optimization": {"stage": 2}
}
"""


def test_deepspeed_config_defaults():
    assert _framework(DS_CONFIG, "ds_config.json") == "deepspeed"
    t = _tricks(DS_CONFIG, "ds_config.json")
    assert _default(t, "dynamic-loss-scaling")  # loss_scale 0 (dynamic) when fp16 is on
    assert _default(t, "gradient-clipping")
    assert "0.19.3" in t["gradient-clipping"]["settings"]["gradient_clipping"]  # the version it depends on


def test_deepspeed_explicit_settings_override_defaults():
    text = DS_CONFIG.replace('"fp16": {"enabled": true}', '"fp16": {"enabled": false}, "gradient_clipping": 0.0')
    t = _tricks(text, "ds_config.json")
    assert "dynamic-loss-scaling" not in t
    assert _explicit(t, "gradient-clipping", "off")
    static = _tricks(DS_CONFIG.replace('{"enabled": true}', '{"enabled": true, "loss_scale": 128}'), "ds.json")
    assert static.get("dynamic-loss-scaling", {}).get("state") != "on"


def test_a_trainer_arguments_json_is_not_taken_for_deepspeed():
    hf = '{"output_dir": "out", "per_device_train_batch_size": 8, "learning_rate": 5e-05, "logging_steps": 10}'
    assert _framework(hf, "training_args.json") == "hf-trainer"


def test_an_accelerate_fsdp_config_names_its_tricks():
    # the shape `accelerate config` writes (src/accelerate/commands/config/cluster.py asks for each field)
    cfg = ("compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nfsdp_config:\n"
           "  fsdp_sharding_strategy: FULL_SHARD\n  fsdp_activation_checkpointing: true\n"
           "mixed_precision: bf16\nnum_processes: 8\n")
    t = _tricks(cfg, "default_config.yaml")
    for tid in ("zero-redundancy-optimizer", "gradient-checkpointing", "bf16-training"):
        assert _explicit(t, tid), tid
    off = _tricks(cfg.replace("fsdp_activation_checkpointing: true", "fsdp_activation_checkpointing: false"),
                  "default_config.yaml")
    assert _explicit(off, "gradient-checkpointing", "off")


SWIN = """MODEL:
  TYPE: swin
  NAME: swin_tiny_patch4_window7_224
  DROP_PATH_RATE: 0.2
  SWIN:
    EMBED_DIM: 96
    DEPTHS: [ 2, 2, 6, 2 ]
DATA:
  IMG_SIZE: 224
TRAIN:
  BASE_LR: 1e-3
"""


def test_swin_yacs_config_gets_config_py_defaults():
    assert _framework(SWIN, "swin_tiny.yaml") == "swin"
    t = _tricks(SWIN, "swin_tiny.yaml")
    assert _explicit(t, "stochastic-depth")
    for tid in ("adamw", "cosine-decay", "lr-warmup", "gradient-clipping", "label-smoothing", "mixup", "cutmix",
                "randaugment", "random-erasing", "linear-scaling-rule", "no-decay-norm-bias"):
        assert t[tid]["source"] == "default", tid
    assert t["gradient-clipping"]["settings"].get("TRAIN.CLIP_GRAD") == "5.0"
    # main.py and the SimMIM scripts read different AMP switches with different defaults: not claimed
    assert "mixed-precision-fp16" not in t


def test_swin_explicit_settings_override_defaults():
    cfg = SWIN + "  CLIP_GRAD: 0.0\nAUG:\n  MIXUP: 0.0\n  AUTO_AUGMENT: none\nAMP_ENABLE: true\n"
    t = _tricks(cfg, "swin_tiny.yaml")
    assert _explicit(t, "gradient-clipping", "off") and _explicit(t, "mixup", "off")
    assert "randaugment" not in t  # AUTO_AUGMENT written: the config decides, and 'none' names no policy
    assert _explicit(t, "mixed-precision-fp16")


def test_simmim_pretraining_config_gets_no_classification_augmentation():
    cfg = SWIN.replace("  IMG_SIZE: 224\n", "  IMG_SIZE: 192\n  MASK_PATCH_SIZE: 32\n  MASK_RATIO: 0.6\n")
    assert _framework(cfg, "simmim_pretrain.yaml") == "swin-simmim-pretrain"
    t = _tricks(cfg, "simmim_pretrain.yaml")
    assert t["adamw"]["source"] == "default" and t["gradient-clipping"]["source"] == "default"
    for tid in ("mixup", "cutmix", "randaugment", "random-erasing", "label-smoothing"):
        assert tid not in t, tid


YOLOX = """#!/usr/bin/env python3
from yolox.exp import Exp as MyExp


class Exp(MyExp):
    def __init__(self):
        super(Exp, self).__init__()
        self.depth = 0.33
        self.width = 0.50
        self.data_dir = "datasets/coco128"
        self.train_ann = "instances_train2017.json"
        self.val_ann = "instances_val2017.json"
        self.num_classes = 71
        self.max_epoch = 300

    def get_model(self):
        self.mosaic_prob = 0.0  # a method other than __init__ is code, not a setting
"""


def test_a_python_config_with_a_shebang_and_a_config_class_is_read():
    from tricks_kb.recipe.readers import detect_format, read_text

    assert detect_format(YOLOX, "yolox_s.py") == "python"
    keys = {it.key for it in read_text(YOLOX, "yolox_s.py").items}
    assert {"depth", "width", "train_ann", "num_classes", "max_epoch"} <= keys and "mosaic_prob" not in keys
    dc = "from dataclasses import dataclass\n\n@dataclass\nclass TrainConfig:\n    warmup_steps: int = 2000\n"
    assert _explicit(_tricks(dc, "config.py"), "lr-warmup")
    # a model class is code: its layers are not settings of the run
    net = ("import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
           "        self.dropout = nn.Dropout(0.5)\n\nweight_decay = 5e-4\n")
    got = _tricks(net, "train.py")
    assert "dropout" not in got and _explicit(got, "weight-decay")


def test_yolox_exp_gets_yolox_base_defaults():
    assert _framework(YOLOX, "yolox_s.py") == "yolox"
    t = _tricks(YOLOX, "yolox_s.py")
    for tid in ("sgd-momentum", "nesterov-momentum", "weight-decay", "cosine-decay", "lr-warmup",
                "mosaic-augmentation", "mixup", "ema-weights", "linear-scaling-rule"):
        assert t[tid]["source"] == "default", tid
    assert "mixed-precision-fp16" not in t  # --fp16 is a tools/train.py flag
    off = _tricks(YOLOX.replace("self.max_epoch = 300", "self.max_epoch = 300\n        self.ema = False\n"
                                "        self.enable_mixup = False"), "yolox_s.py")
    assert _explicit(off, "ema-weights", "off") and "mixup" not in off


def test_mmcv_lr_config_policy_and_fp16_dict():
    cfg = ("optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)\n"
           "lr_config = dict(policy='{p}', warmup='linear', warmup_iters=500, step=[8, 11])\n"
           "fp16 = dict(loss_scale={s})\n")
    t = _tricks(cfg.format(p="step", s="512."), "faster_rcnn.py")
    assert _explicit(t, "step-decay") and _explicit(t, "mixed-precision-fp16")
    assert _explicit(t, "dynamic-loss-scaling", "off")  # a float loss_scale is static scaling in mmcv
    t = _tricks(cfg.format(p="CosineAnnealing", s="'dynamic'"), "faster_rcnn.py")
    assert _explicit(t, "cosine-decay") and _explicit(t, "dynamic-loss-scaling") and "step-decay" not in t
    assert _explicit(_tricks(cfg.format(p="poly", s="512."), "deeplab.py"), "polynomial-decay")
    # DeepSpeed's fp16 block says "enabled" itself; its loss_scale alone is not FP16 in use
    ds = '{"train_batch_size": 32, "zero_optimization": {"stage": 2}, "fp16": {"enabled": false, "loss_scale": 0}}'
    assert _explicit(_tricks(ds, "ds_config.json"), "mixed-precision-fp16", "off")


# The training part of an Ultralytics (YOLOv8 and later) run's args.yaml, as the trainer writes it.
ULTRALYTICS_ARGS = """task: detect
mode: train
model: yolov8n.pt
data: coco8.yaml
epochs: 100
batch: 16
imgsz: 640
optimizer: auto
cos_lr: false
close_mosaic: 10
amp: true
dropout: 0.0
lr0: 0.01
lrf: 0.01
momentum: 0.937
weight_decay: 0.0005
warmup_epochs: 3.0
warmup_momentum: 0.8
warmup_bias_lr: 0.1
box: 7.5
cls: 0.5
dfl: 1.5
nbs: 64
hsv_h: 0.015
fliplr: 0.5
mosaic: 1.0
mixup: 0.0
auto_augment: randaugment
erasing: 0.4
"""


def test_ultralytics_args_yaml_gets_the_v8_trainer_not_yolov5():
    assert _framework(ULTRALYTICS_ARGS, "args.yaml") == "ultralytics"
    t = _tricks(ULTRALYTICS_ARGS, "args.yaml")
    for tid in ("ema-weights", "gradient-clipping", "no-decay-norm-bias", "linear-decay-to-zero",
                "dynamic-loss-scaling"):
        assert _default(t, tid), tid
    assert t["mixed-precision-fp16"]["source"] == "explicit" and t["cosine-decay"]["state"] == "off"
    # optimizer: auto picks SGD or AdamW from the iteration count: neither is claimed, nor SGD's nesterov
    assert not set(t) & {"sgd-momentum", "adamw", "nesterov-momentum"}
    assert "randaugment" not in t  # auto_augment applies to classification only
    # a hyp file of YOLOv5 (obj, anchor_t) stays YOLOv5
    assert _framework("lr0: 0.01\nlrf: 0.01\nwarmup_bias_lr: 0.1\nobj: 1.0\nanchor_t: 4.0\nmosaic: 1.0\n",
                      "hyp.yaml") == "yolov5"


def test_ultralytics_cosine_sgd_and_bf16_are_read_as_written():
    text = (ULTRALYTICS_ARGS.replace("optimizer: auto", "optimizer: SGD").replace("cos_lr: false", "cos_lr: true")
            .replace("amp: true", "amp: bf16"))
    t = _tricks(text, "args.yaml")
    assert t["cosine-decay"]["state"] == "on" and "linear-decay-to-zero" not in t
    assert t["sgd-momentum"]["source"] == "explicit" and _default(t, "nesterov-momentum")
    assert t["bf16-training"]["state"] == "on" and "mixed-precision-fp16" not in t
    assert "dynamic-loss-scaling" not in t  # the GradScaler is off under bf16


def test_a_yolo_command_is_read_as_key_value_settings_with_the_ultralytics_defaults():
    script = ("#!/bin/bash\nCUDA_VISIBLE_DEVICES=0 yolo detect train model=yolov8n.pt data=coco128.yaml epochs=100 \\\n"
              "  optimizer=AdamW cos_lr=True amp=False\n")
    assert _framework(script, "train.sh") == "ultralytics"
    t = _tricks(script, "train.sh")
    assert t["adamw"]["source"] == "explicit" and t["adamw"]["line"] == 3
    assert t["cosine-decay"]["state"] == "on" and t["mixed-precision-fp16"]["state"] == "off"
    assert _default(t, "ema-weights") and "dynamic-loss-scaling" not in t
    # key=value words of other commands are not settings (an environment assignment, a non-yolo tool)
    with pytest.raises(ReadError):
        read_text("make all epochs=100 lr=0.1\n", "run.sh")
