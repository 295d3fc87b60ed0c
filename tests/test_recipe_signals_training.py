"""Recipe check: detect blocks of the PEFT, preference/RL, systems and schedule entries.

Each case is a short snippet in the real syntax of the library whose key the block uses; the expected
trick id and state are checked through ``check_text``. Negative cases hold look-alike keys that must not
detect the trick.
"""

from __future__ import annotations

import pytest

from tricks_kb.recipe.check import check_text

# (snippet, filename, trick id, expected state)
CASES = [
    # early-stopping: a Lightning CLI callback (class_path) or a Hydra callback (_target_)
    ("trainer:\n  callbacks:\n    - class_path: lightning.pytorch.callbacks.EarlyStopping\n      init_args:\n"
     "        monitor: val_loss\n        patience: 3\n", "config.yaml", "early-stopping", "on"),
    ("callbacks:\n  early_stopping:\n    _target_: lightning.pytorch.callbacks.EarlyStopping\n    patience: 5\n",
     "callbacks.yaml", "early-stopping", "on"),
    # dora: peft LoraConfig(use_dora=...), axolotl peft_use_dora, kohya/LyCORIS network_args dora_wd
    ("from peft import LoraConfig\nconfig = LoraConfig(r=16, lora_alpha=32, use_dora=True)\n", "peft.py", "dora", "on"),
    ("base_model: meta-llama/Meta-Llama-3-8B\nadapter: lora\nlora_r: 32\npeft_use_dora: true\n", "axolotl.yml", "dora", "on"),
    ("base_model: meta-llama/Meta-Llama-3-8B\nadapter: lora\nlora_r: 32\npeft_use_dora: false\n", "axolotl.yml", "dora", "off"),
    ("accelerate launch train_network.py --network_module lycoris.kohya --network_args \"dora_wd=True\"\n",
     "run.sh", "dora", "on"),
    # rslora: peft use_rslora, axolotl peft_use_rslora
    ("from peft import LoraConfig\nconfig = LoraConfig(r=256, lora_alpha=16, use_rslora=True)\n", "peft.py", "rslora", "on"),
    ("adapter: lora\nlora_r: 64\npeft_use_rslora: true\n", "axolotl.yml", "rslora", "on"),
    ("adapter: lora\nlora_r: 64\npeft_use_rslora: false\n", "axolotl.yml", "rslora", "off"),
    # lora-plus: axolotl / LLaMA-Factory loraplus_lr_ratio, kohya network_args
    ("adapter: lora\nlora_r: 16\nloraplus_lr_ratio: 16\nloraplus_lr_embedding: 1e-6\n", "axolotl.yml", "lora-plus", "on"),
    ("finetuning_type: lora\nloraplus_lr_ratio: null\n", "llamafactory.yaml", "lora-plus", "off"),
    ("python sd-scripts/train_network.py --network_module networks.lora --network_args \"loraplus_lr_ratio=4\"\n",
     "run.sh", "lora-plus", "on"),
    # pissa: peft init_lora_weights="pissa...", LLaMA-Factory pissa_init
    ("from peft import LoraConfig\nconfig = LoraConfig(r=16, init_lora_weights=\"pissa_niter_16\")\n", "peft.py", "pissa", "on"),
    ("stage: sft\nfinetuning_type: lora\npissa_init: true\npissa_iter: 16\n", "llamafactory.yaml", "pissa", "on"),
    ("stage: sft\nfinetuning_type: lora\npissa_init: false\n", "llamafactory.yaml", "pissa", "off"),
    # neftune: transformers TrainingArguments / axolotl neftune_noise_alpha
    ("output_dir: out\nper_device_train_batch_size: 4\nlogging_steps: 10\nneftune_noise_alpha: 5\n", "sft.yaml", "neftune", "on"),
    ("output_dir: out\nper_device_train_batch_size: 4\nlogging_steps: 10\nneftune_noise_alpha: null\n", "sft.yaml", "neftune", "off"),
    # dpo-beta: LLaMA-Factory pref_beta, axolotl rl_beta
    ("stage: dpo\nfinetuning_type: lora\npref_beta: 0.1\npref_loss: sigmoid\n", "llamafactory.yaml", "dpo-beta", "on"),
    ("base_model: meta-llama/Meta-Llama-3-8B-Instruct\nrl: dpo\nrl_beta: 0.1\n", "axolotl.yml", "dpo-beta", "on"),
    # simpo: TRL CPOConfig loss_type, LLaMA-Factory pref_loss, axolotl rl
    ("from trl import CPOConfig\nargs = CPOConfig(output_dir=\"out\", loss_type=\"simpo\", cpo_alpha=0.0, simpo_gamma=0.5)\n",
     "train.py", "simpo", "on"),
    ("stage: dpo\npref_beta: 2.5\npref_loss: simpo\nsimpo_gamma: 1.0\n", "llamafactory.yaml", "simpo", "on"),
    ("base_model: meta-llama/Meta-Llama-3-8B-Instruct\nrl: simpo\nsimpo_gamma: 1.0\ncpo_alpha: 0.0\n", "axolotl.yml", "simpo", "on"),
    # grpo: verl algorithm.adv_estimator, OpenRLHF --advantage_estimator group_norm, axolotl rl, TRL loss_type
    ("algorithm:\n  adv_estimator: grpo\n  norm_adv_by_std_in_grpo: true\nactor_rollout_ref:\n  rollout:\n    n: 8\n",
     "verl.yaml", "grpo", "on"),
    ("ray job submit -- python3 -m openrlhf.cli.train_ppo_ray \\\n  --advantage_estimator group_norm --n_samples_per_prompt 8\n",
     "run.sh", "grpo", "on"),
    ("base_model: Qwen/Qwen2.5-1.5B-Instruct\nrl: grpo\ntrl:\n  num_generations: 8\n  beta: 0.04\n", "axolotl.yml", "grpo", "on"),
    ("from trl import GRPOConfig\nargs = GRPOConfig(output_dir=\"out\", loss_type=\"dr_grpo\", num_generations=8)\n",
     "train.py", "grpo", "on"),
    # ppo-kl-control: SB3 target_kl, OpenRLHF/trl init_kl_coef, trl adap_kl_ctrl, verl use_kl_in_reward / use_kl_loss
    ("CartPole-v1:\n  n_envs: 8\n  policy: 'MlpPolicy'\n  n_timesteps: !!float 1e5\n  target_kl: 0.02\n",
     "ppo.yml", "ppo-kl-control", "on"),
    ("from trl import PPOConfig\nconfig = PPOConfig(learning_rate=1.41e-5, init_kl_coef=0.2, adap_kl_ctrl=True, target=6)\n",
     "ppo.py", "ppo-kl-control", "on"),
    ("algorithm:\n  use_kl_in_reward: false\n  kl_ctrl:\n    type: fixed\n    kl_coef: 0.001\n    target_kl: 0.1\n"
     "actor_rollout_ref:\n  actor:\n    use_kl_loss: false\n    kl_loss_coef: 0.001\n", "verl.yaml", "ppo-kl-control", "off"),
    ("actor_rollout_ref:\n  actor:\n    use_kl_loss: true\n    kl_loss_coef: 0.001\n    kl_loss_type: low_var_kl\n",
     "verl.yaml", "ppo-kl-control", "on"),
    # rl-entropy-control: SB3 ent_coef, verl entropy_coeff / clip_ratio_high, TRL epsilon_high
    ("BreakoutNoFrameskip-v4:\n  policy: 'CnnPolicy'\n  n_envs: 8\n  n_steps: 128\n  ent_coef: 0.01\n",
     "ppo.yml", "rl-entropy-control", "on"),
    ("Pendulum-v1:\n  policy: 'MlpPolicy'\n  n_envs: 4\n  n_steps: 1024\n  ent_coef: 0.0\n", "ppo.yml", "rl-entropy-control", "off"),
    ("actor_rollout_ref:\n  actor:\n    clip_ratio_low: 0.2\n    clip_ratio_high: 0.28\n", "verl.yaml", "rl-entropy-control", "on"),
    ("accelerate launch trl/scripts/grpo.py --output_dir out --num_generations 8 --epsilon_high 0.28\n",
     "run.sh", "rl-entropy-control", "on"),
    # reward-normalization: rl-zoo normalize, SB3 normalize_advantage, TRL PPO use_score_scaling, TRL GRPO scale_rewards
    ("HalfCheetah-v4:\n  policy: 'MlpPolicy'\n  n_envs: 1\n  n_timesteps: !!float 1e6\n  normalize: true\n",
     "ppo.yml", "reward-normalization", "on"),
    ("Ant-v4:\n  policy: 'MlpPolicy'\n  n_timesteps: !!float 1e6\n  normalize: \"{'norm_obs': True, 'norm_reward': False}\"\n",
     "ppo.yml", "reward-normalization", "off"),
    ("Hopper-v4:\n  policy: 'MlpPolicy'\n  n_timesteps: !!float 1e6\n  normalize_advantage: false\n",
     "ppo.yml", "reward-normalization", "off"),
    ("from trl import PPOConfig\nconfig = PPOConfig(use_score_scaling=True, use_score_norm=True, whiten_rewards=True)\n",
     "ppo.py", "reward-normalization", "on"),
    ("from trl import GRPOConfig\nargs = GRPOConfig(output_dir=\"out\", scale_rewards=False)\n", "grpo.py",
     "reward-normalization", "off"),
    # completion-only-loss: TRL SFTConfig, axolotl train_on_inputs, LLaMA-Factory train_on_prompt, torchtune train_on_input
    ("from trl import SFTConfig\nargs = SFTConfig(output_dir=\"out\", completion_only_loss=True)\n", "sft.py",
     "completion-only-loss", "on"),
    ("from trl import SFTConfig\nargs = SFTConfig(output_dir=\"out\", assistant_only_loss=False, completion_only_loss=False)\n",
     "sft.py", "completion-only-loss", "off"),
    ("base_model: meta-llama/Meta-Llama-3-8B\nadapter: lora\ntrain_on_inputs: false\n", "axolotl.yml", "completion-only-loss", "on"),
    ("stage: sft\nfinetuning_type: lora\ntrain_on_prompt: true\n", "llamafactory.yaml", "completion-only-loss", "off"),
    ("dataset:\n  _component_: torchtune.datasets.alpaca_dataset\n  train_on_input: True\n", "torchtune.yaml",
     "completion-only-loss", "off"),
    # length-grouped-batching: TrainingArguments group_by_length, LLaVA group_by_modality_length
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\ngroup_by_length: true\n", "args.yaml",
     "length-grouped-batching", "on"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\ngroup_by_length: false\n", "args.yaml",
     "length-grouped-batching", "off"),
    ("deepspeed llava/train/train_mem.py \\\n  --group_by_modality_length True \\\n  --bf16 True\n", "finetune.sh",
     "length-grouped-batching", "on"),
    # tf32-matmul: TrainingArguments tf32, diffusers --allow_tf32, graph-pes float32_matmul_precision
    ("torchrun train.py --output_dir out --per_device_train_batch_size 4 --logging_steps 1 --tf32 True\n", "run.sh",
     "tf32-matmul", "on"),
    ("accelerate launch train_text_to_image.py --mixed_precision fp16 --allow_tf32 --learning_rate 1e-5\n", "run.sh",
     "tf32-matmul", "on"),
    ("general:\n  torch:\n    dtype: float32\n    float32_matmul_precision: high\n", "graph-pes.yaml", "tf32-matmul", "on"),
    ("general:\n  torch:\n    dtype: float32\n    float32_matmul_precision: highest\n", "graph-pes.yaml", "tf32-matmul", "off"),
    # torch-compile: TrainingArguments torch_compile, timm --torchcompile, nanoGPT compile, torchtune compile
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\ntorch_compile: true\n", "args.yaml",
     "torch-compile", "on"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\ntorch_compile: false\n", "args.yaml",
     "torch-compile", "off"),
    ("./distributed_train.sh 8 --data-dir /imagenet --model resnet50 --torchcompile inductor --amp\n", "run.sh",
     "torch-compile", "on"),
    ("n_layer = 12\nn_head = 12\nn_embd = 768\nblock_size = 1024\ncompile = False\n", "config.py", "torch-compile", "off"),
    ("output_dir: /tmp/out\ncompile: True\noptimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\n", "torchtune.yaml",
     "torch-compile", "on"),
    ("[job]\ndump_folder = \"./outputs\"\n[compile]\nenable = true\ncomponents = [\"model\", \"loss\"]\n", "llama3_8b.toml",
     "torch-compile", "on"),
    # fused-optimizer: TrainingArguments optim adamw_torch_fused, torch.optim.AdamW(fused=True), timm --opt fusedadamw
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\noptim: adamw_torch_fused\n", "args.yaml",
     "fused-optimizer", "on"),
    ("optimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\n  fused: True\n", "torchtune.yaml", "fused-optimizer", "on"),
    ("optimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\n  fused: False\n", "torchtune.yaml", "fused-optimizer", "off"),
    ("./distributed_train.sh 8 --model vit_base_patch16_224 --opt fusedadamw --lr 1e-3\n", "run.sh", "fused-optimizer", "on"),
    # cpu-offloading: DeepSpeed zero_optimization.offload_optimizer, TrainingArguments fsdp, verl fsdp_config
    ('{"zero_optimization": {"stage": 3, "offload_optimizer": {"device": "cpu", "pin_memory": true},'
     ' "offload_param": {"device": "cpu"}}}', "ds_config.json", "cpu-offloading", "on"),
    ('{"zero_optimization": {"stage": 2, "offload_optimizer": {"device": "none"}}}', "ds_config.json", "cpu-offloading", "off"),
    ("torchrun train.py --output_dir out --per_device_train_batch_size 4 --logging_steps 1 "
     "--fsdp \"full_shard auto_wrap offload\"\n", "run.sh", "cpu-offloading", "on"),
    ("actor_rollout_ref:\n  actor:\n    fsdp_config:\n      param_offload: false\n      optimizer_offload: false\n",
     "verl.yaml", "cpu-offloading", "off"),
    ("compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nfsdp_config:\n  fsdp_offload_params: true\n"
     "  fsdp_sharding_strategy: FULL_SHARD\n", "accelerate_fsdp.yaml", "cpu-offloading", "on"),
    ("from lightning.pytorch.strategies import DeepSpeedStrategy\n"
     "strategy = DeepSpeedStrategy(stage=3, offload_optimizer=True, offload_parameters=True)\n", "train.py",
     "cpu-offloading", "on"),
    # quantized-optimizer-states: TrainingArguments / axolotl optim(izer), kohya optimizer_type, diffusers --use_8bit_adam
    ("base_model: meta-llama/Meta-Llama-3-8B\nadapter: lora\noptimizer: paged_adamw_8bit\n", "axolotl.yml",
     "quantized-optimizer-states", "on"),
    ("accelerate launch train_text_to_image.py --use_8bit_adam --learning_rate 1e-5\n", "run.sh",
     "quantized-optimizer-states", "on"),
    ("accelerate launch sdxl_train_network.py --optimizer_type AdamW8bit --network_dim 16\n", "run.sh",
     "quantized-optimizer-states", "on"),
    ("optimizer:\n  _component_: bitsandbytes.optim.PagedAdamW8bit\n  lr: 2e-5\n", "torchtune.yaml",
     "quantized-optimizer-states", "on"),
    # galore: TrainingArguments optim galore_*, LLaMA-Factory use_galore
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\noptim: galore_adamw_8bit\n"
     "optim_target_modules: [attn, mlp]\n", "args.yaml", "galore", "on"),
    ("stage: sft\nfinetuning_type: full\nuse_galore: true\ngalore_rank: 128\n", "llamafactory.yaml", "galore", "on"),
    ("stage: sft\nfinetuning_type: full\nuse_galore: false\n", "llamafactory.yaml", "galore", "off"),
    # prefix-tuning / prompt-tuning / ia3: peft configs (Python constructors and adapter_config.json peft_type)
    ("from peft import PrefixTuningConfig\nconfig = PrefixTuningConfig(task_type=\"CAUSAL_LM\", num_virtual_tokens=20)\n",
     "peft.py", "prefix-tuning", "on"),
    ('{"peft_type": "PREFIX_TUNING", "task_type": "CAUSAL_LM", "num_virtual_tokens": 30}', "adapter_config.json",
     "prefix-tuning", "on"),
    ("from peft import PromptTuningConfig\nconfig = PromptTuningConfig(task_type=\"CAUSAL_LM\", num_virtual_tokens=8,"
     " prompt_tuning_init=\"TEXT\")\n", "peft.py", "prompt-tuning", "on"),
    ('{"peft_type": "PROMPT_TUNING", "task_type": "CAUSAL_LM", "num_virtual_tokens": 20}', "adapter_config.json",
     "prompt-tuning", "on"),
    ("from peft import IA3Config\nconfig = IA3Config(task_type=\"SEQ_2_SEQ_LM\", target_modules=[\"k\", \"v\", \"wo\"])\n",
     "peft.py", "ia3", "on"),
    ('{"peft_type": "IA3", "task_type": "CAUSAL_LM", "target_modules": ["k_proj", "v_proj", "down_proj"]}',
     "adapter_config.json", "ia3", "on"),
    # moe-load-balancing-loss: Megatron --moe-aux-loss-coeff / load-balancing type, LLaMA-Factory moe_aux_loss_coef,
    # transformers output_router_logits
    ("torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --moe-router-load-balancing-type aux_loss "
     "--moe-aux-loss-coeff 1e-2\n", "run.sh", "moe-load-balancing-loss", "on"),
    ("torchrun pretrain_gpt.py --num-experts 64 --moe-router-load-balancing-type none --moe-aux-loss-coeff 0\n", "run.sh",
     "moe-load-balancing-loss", "off"),
    ("stage: sft\nmodel_name_or_path: mistralai/Mixtral-8x7B-v0.1\nmoe_aux_loss_coef: 0.001\n", "llamafactory.yaml",
     "moe-load-balancing-loss", "on"),
    ('{"architectures": ["MixtralForCausalLM"], "num_local_experts": 8, "output_router_logits": false,'
     ' "router_aux_loss_coef": 0.02}', "config.json", "moe-load-balancing-loss", "off"),
    # intra-document-attention-mask: Megatron --reset-attention-mask, LLaMA-Factory neat_packing, TRL padding_free
    ("torchrun pretrain_gpt.py --reset-position-ids --reset-attention-mask --eod-mask-loss --seq-length 8192\n", "run.sh",
     "intra-document-attention-mask", "on"),
    ("stage: sft\npacking: true\nneat_packing: true\n", "llamafactory.yaml", "intra-document-attention-mask", "on"),
    ("from trl import SFTConfig\nargs = SFTConfig(output_dir=\"out\", padding_free=False)\n", "sft.py",
     "intra-document-attention-mask", "off"),
    # gradient-accumulation-loss-normalization: TrainingArguments average_tokens_across_devices, Megatron flag
    ("output_dir: out\nper_device_train_batch_size: 1\ngradient_accumulation_steps: 16\nlogging_steps: 10\n"
     "average_tokens_across_devices: true\n", "args.yaml", "gradient-accumulation-loss-normalization", "on"),
    ("output_dir: out\nper_device_train_batch_size: 1\ngradient_accumulation_steps: 16\nlogging_steps: 10\n"
     "average_tokens_across_devices: false\n", "args.yaml", "gradient-accumulation-loss-normalization", "off"),
    ("torchrun pretrain_gpt.py --micro-batch-size 1 --global-batch-size 128 --calculate-per-token-loss\n", "run.sh",
     "gradient-accumulation-loss-normalization", "on"),
    # adam-mini: LLaMA-Factory use_adam_mini
    ("stage: sft\nfinetuning_type: full\nuse_adam_mini: true\n", "llamafactory.yaml", "adam-mini", "on"),
    ("stage: sft\nfinetuning_type: full\nuse_adam_mini: false\n", "llamafactory.yaml", "adam-mini", "off"),
    # prodigy: diffusers --optimizer prodigy, kohya optimizer_type
    ("accelerate launch train_dreambooth_lora_sdxl.py --optimizer=\"prodigy\" --learning_rate=1.0 "
     "--prodigy_safeguard_warmup=True\n", "run.sh", "prodigy", "on"),
    ("accelerate launch train_network.py --optimizer_type DAdaptAdam --learning_rate 1.0\n", "run.sh", "prodigy", "on"),
    # layer-wise-lr-decay: timm --layer-decay, MAE --layer_decay, mmseg LayerDecayOptimizerConstructor
    ("./distributed_train.sh 8 --model vit_base_patch16_224 --opt adamw --lr 5e-4 --layer-decay 0.65\n", "run.sh",
     "layer-wise-lr-decay", "on"),
    ("python main_finetune.py --model vit_base_patch16 --blr 5e-4 --layer_decay 1.0\n", "run.sh",
     "layer-wise-lr-decay", "off"),
    ("optim_wrapper = dict(\n    type='OptimWrapper',\n    optimizer=dict(type='AdamW', lr=6e-5, weight_decay=0.05),\n"
     "    constructor='LayerDecayOptimizerConstructor',\n    paramwise_cfg=dict(num_layers=12, layer_decay_rate=0.9))\n",
     "upernet_beit.py", "layer-wise-lr-decay", "on"),
    # checkpoint-resume: TrainingArguments resume_from_checkpoint, NeMo exp_manager.resume_if_exists, llm-foundry
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\nresume_from_checkpoint: out/checkpoint-500\n",
     "args.yaml", "checkpoint-resume", "on"),
    ("exp_manager:\n  exp_dir: null\n  resume_if_exists: true\n  resume_ignore_no_checkpoint: true\n", "nemo.yaml",
     "checkpoint-resume", "on"),
    ("max_duration: 1ep\nsave_folder: ./{run_name}/checkpoints\nautoresume: true\n", "llm-foundry.yaml",
     "checkpoint-resume", "on"),
    # knowledge-distillation: DeiT --distillation-type, TRL GKDConfig teacher, torchtune KD recipe
    ("python main.py --model deit_base_distilled_patch16_224 --teacher-model regnety_160 --distillation-type hard\n",
     "run.sh", "knowledge-distillation", "on"),
    ("python main.py --model deit_base_patch16_224 --distillation-type none\n", "run.sh", "knowledge-distillation", "off"),
    ("teacher_checkpointer:\n  _component_: torchtune.training.FullModelHFCheckpointer\n  checkpoint_dir: /tmp/Llama-3.1-8B/\n"
     "kd_ratio: 0.5\n", "torchtune.yaml", "knowledge-distillation", "on"),
    # batch-size-warmup: Megatron --rampup-batch-size, NeMo model.rampup_batch_size
    ("torchrun pretrain_gpt.py --global-batch-size 1536 --rampup-batch-size 16 16 5859375 --micro-batch-size 1\n", "run.sh",
     "batch-size-warmup", "on"),
    ("model:\n  micro_batch_size: 4\n  global_batch_size: 256\n  rampup_batch_size: null\n", "nemo.yaml",
     "batch-size-warmup", "off"),
    # sequence-length-warmup: DeepSpeed curriculum_learning seqlen, composer seq_length_warmup
    ('{"train_batch_size": 512, "curriculum_learning": {"enabled": true, "curriculum_type": "seqlen",'
     ' "min_difficulty": 8, "max_difficulty": 1024, "schedule_type": "fixed_linear"}}', "ds_config.json",
     "sequence-length-warmup", "on"),
    ("algorithms:\n  seq_length_warmup:\n    duration: 0.3\n    min_seq_length: 8\n    max_seq_length: 1024\n",
     "composer.yaml", "sequence-length-warmup", "on"),
    ("from composer.algorithms import SeqLengthWarmup\nslw = SeqLengthWarmup(duration=0.3, min_seq_length=8, max_seq_length=1024)\n",
     "train.py", "sequence-length-warmup", "on"),
    ("from trl import GRPOConfig\nargs = GRPOConfig(output_dir=\"out\", num_generations=8, beta=0.0)\n", "train.py", "grpo", "on"),
    ("from trl import GKDConfig\nargs = GKDConfig(output_dir=\"out\", lmbda=0.5, beta=0.5, temperature=0.9)\n", "gkd.py",
     "knowledge-distillation", "on"),
    # accelerate's DeepSpeed plugin config: offload_*_device maps to zero_optimization.offload_*.device
    ("distributed_type: DEEPSPEED\ndeepspeed_config:\n  offload_optimizer_device: cpu\n  offload_param_device: none\n"
     "  zero_stage: 3\n", "accelerate.yaml", "cpu-offloading", "on"),
    ("distributed_type: DEEPSPEED\ndeepspeed_config:\n  offload_optimizer_device: none\n  offload_param_device: none\n"
     "  zero_stage: 2\n", "accelerate.yaml", "cpu-offloading", "off"),
    # artidoro/qlora and LLaVA train.py: --bits 4 loads the base model in 4 bits under the LoRA adapters
    ("python qlora.py --model_name_or_path huggyllama/llama-7b --bits 4 --double_quant --quant_type nf4 "
     "--lora_r 64\n", "finetune.sh", "qlora", "on"),
    # nanotron: tokens.batch_accumulation_per_replica micro-batches per step (config.py, trainer.py)
    ("tokens:\n  micro_batch_size: 4\n  batch_accumulation_per_replica: 8\n  sequence_length: 2048\n", "nanotron.yaml",
     "gradient-accumulation", "on"),
    ("tokens:\n  micro_batch_size: 32\n  batch_accumulation_per_replica: 1\n  sequence_length: 2048\n", "nanotron.yaml",
     "gradient-accumulation", "off"),
    # DeepSpeed-Chat main.py: --lora_dim "If > 0, use LoRA" (default 0)
    ("deepspeed main.py --model_name_or_path facebook/opt-6.7b --lora_dim 128 --lora_module_name decoder.layers. "
     "--only_optimize_lora --zero_stage 3\n", "run_6.7b_lora.sh", "lora", "on"),
    ("deepspeed main.py --model_name_or_path facebook/opt-1.3b --lora_dim 0 --zero_stage 2\n", "run_1.3b.sh", "lora",
     "off"),
    # an accelerate config with distributed_type FSDP shards (FULL_SHARD / reshard_after_forward by default)
    ("compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nfsdp_config:\n  fsdp_version: 2\n"
     "  fsdp_reshard_after_forward: true\nmixed_precision: bf16\n", "fsdp2_config.yaml", "zero-redundancy-optimizer",
     "on"),
    # DINO / SwAV `--use_fp16` (torch.cuda.amp or apex O1); mmcv DistOptimizerHook(use_fp16=...)
    ("python -m torch.distributed.launch main_dino.py --arch vit_small --use_fp16 true --out_dir out\n", "run.sh",
     "mixed-precision-fp16", "on"),
    ("python -m torch.distributed.launch main_dino.py --arch vit_base --use_fp16 false --out_dir out\n", "run.sh",
     "mixed-precision-fp16", "off"),
    ("optimizer_config = dict(type='DistOptimizerHook', update_interval=1, grad_clip=None, use_fp16=True)\n",
     "mask_rcnn.py", "mixed-precision-fp16", "on"),
]

# (snippet, filename, trick id that must not be detected)
NEGATIVES = [
    ("from peft import LoraConfig\nconfig = LoraConfig(r=16, init_lora_weights=\"gaussian\")\n", "peft.py", "pissa"),
    ("from peft import LoraConfig\nconfig = LoraConfig(r=16, init_lora_weights=\"olora\")\n", "peft.py", "pissa"),
    ("adapter: lora\nlora_r: 16\nlora_alpha: 32\n", "axolotl.yml", "dora"),
    ("adapter: lora\nlora_r: 16\nlora_alpha: 32\n", "axolotl.yml", "rslora"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\nadam_beta1: 0.9\nadam_beta2: 0.999\n",
     "args.yaml", "dpo-beta"),
    ("stage: dpo\npref_beta: 0.1\npref_loss: sigmoid\n", "llamafactory.yaml", "simpo"),
    ("from trl import DPOConfig\nargs = DPOConfig(output_dir=\"out\", loss_type=\"ipo\", beta=0.1)\n", "dpo.py", "simpo"),
    ("algorithm:\n  adv_estimator: gae\n", "verl.yaml", "grpo"),
    # a VecNormalize-free SAC config whose automatic entropy temperature is not the PPO entropy bonus
    ("Pendulum-v1:\n  policy: 'MlpPolicy'\n  n_timesteps: 20000\n  ent_coef: 'auto'\n  n_envs: 1\n", "sac.yml",
     "rl-entropy-control"),
    # verl's kl_ctrl.target_kl is the adaptive controller's target, not SB3's early-stopping target_kl
    ("algorithm:\n  adv_estimator: grpo\n  kl_ctrl:\n    type: fixed\n    target_kl: 0.1\n", "verl.yaml", "ppo-kl-control"),
    ("actor_rollout_ref:\n  actor:\n    clip_ratio_low: 0.2\n    clip_ratio_high: 0.2\n", "verl.yaml", "rl-entropy-control"),
    ("positional_encoding = dict(num_feats=128, normalize=True)\n", "detr.py", "reward-normalization"),
    ("preprocessor:\n  normalize: per_feature\n  window_size: 0.025\n", "nemo.yaml", "reward-normalization"),
    ("enable_activation_offloading: True\n", "torchtune.yaml", "cpu-offloading"),
    ("fsdp_config:\n  sharding_strategy: FULL_SHARD\n  activation_cpu_offload: true\n", "llm-foundry.yaml", "cpu-offloading"),
    ("base_model: meta-llama/Meta-Llama-3-8B\nadapter: qlora\nload_in_8bit: true\noptimizer: adamw_torch\n", "axolotl.yml",
     "quantized-optimizer-states"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\noptim: adamw_torch\n", "args.yaml",
     "fused-optimizer"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\noptim: adamw_torch\n", "args.yaml", "galore"),
    ("optimizer = dict(type='AdamW', lr=1e-4, weight_decay=0.05)\n", "cfg.py", "layer-wise-lr-decay"),
    ("train:\n  weight_decay: 0.05\n  lr_decay: 0.1\n", "cfg.yaml", "layer-wise-lr-decay"),
    ("from peft import LoraConfig\nconfig = LoraConfig(r=8, task_type=\"CAUSAL_LM\")\n", "peft.py", "prefix-tuning"),
    ("from peft import LoraConfig\nconfig = LoraConfig(r=8, task_type=\"CAUSAL_LM\")\n", "peft.py", "prompt-tuning"),
    ('{"peft_type": "LORA", "r": 8}', "adapter_config.json", "ia3"),
    ("torchrun pretrain_gpt.py --num-experts 8 --moe-z-loss-coeff 1e-3\n", "run.sh", "moe-load-balancing-loss"),
    ("base_model: meta-llama/Meta-Llama-3-8B\nadapter: lora\nsample_packing: true\n", "axolotl.yml",
     "intra-document-attention-mask"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\nresume_from_checkpoint: false\n", "args.yaml",
     "checkpoint-resume"),
    ("python main.py --model deit_base_patch16_224 --teacher-model regnety_160\n", "run.sh", "knowledge-distillation"),
    # wandb's resume="allow" resumes the logged run, not the training state
    ("trainer:\n  max_epochs: 10\nlogger:\n  wandb:\n    project: demo\n    resume: allow\n", "lightning.yaml",
     "checkpoint-resume"),
    ("exp_manager:\n  create_wandb_logger: true\n  wandb_logger_kwargs:\n    name: run\n    resume: true\n", "nemo.yaml",
     "checkpoint-resume"),
    ("tokenizer:\n  max_seq_len: 2048\nlr_scheduler:\n  num_warmup_steps: 100\n", "torchtune.yaml", "sequence-length-warmup"),
    ("model:\n  micro_batch_size: 4\n  global_batch_size: 256\n", "nemo.yaml", "batch-size-warmup"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\ntf32: false\n", "args.yaml", "tf32-matmul"),
    ("output_dir: out\nper_device_train_batch_size: 8\nlogging_steps: 10\nnum_train_epochs: 3\n", "args.yaml",
     "length-grouped-batching"),
    ("from trl import SFTConfig\nargs = SFTConfig(output_dir=\"out\", packing=True)\n", "sft.py", "completion-only-loss"),
    ("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: bf16\nnum_processes: 8\n",
     "ddp.yaml", "zero-redundancy-optimizer"),
    # LLaVA's default --bits 16 is no quantization, and an audio sample width is not QLoRA
    ("deepspeed llava/train/train_mem.py --lora_enable True --bits 16 --model_name_or_path lmsys/vicuna-13b-v1.5\n",
     "finetune_lora.sh", "qlora"),
    ("audio:\n  sample_rate: 16000\n  bits: 16\n", "data.yaml", "qlora"),
]


def _tricks(text: str, filename: str) -> dict[str, dict]:
    return {t["id"]: t for t in check_text(text, filename=filename)["tricks"]}


@pytest.mark.parametrize(("text", "filename", "trick", "state"), CASES,
                         ids=[f"{c[2]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_detects_trick_with_state(text: str, filename: str, trick: str, state: str) -> None:
    got = _tricks(text, filename)
    assert trick in got, sorted(got)
    assert got[trick]["state"] == state
    assert got[trick]["source"] == "explicit"


@pytest.mark.parametrize(("text", "filename", "trick"), NEGATIVES,
                         ids=[f"not-{c[2]}-{i}" for i, c in enumerate(NEGATIVES)])
def test_look_alike_keys_do_not_detect(text: str, filename: str, trick: str) -> None:
    assert trick not in _tricks(text, filename)


def test_every_entry_of_the_list_has_an_on_case() -> None:
    ids = {"dora", "rslora", "lora-plus", "pissa", "neftune", "dpo-beta", "simpo", "grpo", "ppo-kl-control",
           "rl-entropy-control", "reward-normalization", "completion-only-loss", "length-grouped-batching",
           "tf32-matmul", "torch-compile", "fused-optimizer", "cpu-offloading", "quantized-optimizer-states", "galore",
           "prefix-tuning", "prompt-tuning", "ia3", "moe-load-balancing-loss", "intra-document-attention-mask",
           "gradient-accumulation-loss-normalization", "adam-mini", "prodigy", "layer-wise-lr-decay",
           "checkpoint-resume", "knowledge-distillation", "batch-size-warmup", "sequence-length-warmup"}
    assert ids <= {c[2] for c in CASES if c[3] == "on"}


def test_kl_coef_counts_only_under_trl() -> None:
    trl = "dataset_name: trl-lib/tldr\noutput_dir: out\nkl_coef: 0.05\nnum_ppo_epochs: 4\n"
    assert _tricks(trl, "ppo.yaml")["ppo-kl-control"]["state"] == "on"
    vae = "model:\n  latent_dim: 16\n  kl_coef: 0.5\n"
    assert "ppo-kl-control" not in _tricks(vae, "vae.yaml")


# (snippet, filename, trick whose finding is expected, True when a finding of that trick must be raised)
FINDINGS = [
    ("stage: dpo\npref_loss: simpo\npref_beta: 0.1\nlearning_rate: 5.0e-7\n", "llamafactory.yaml", "simpo", True),
    ("stage: dpo\npref_loss: simpo\npref_beta: 2.5\nlearning_rate: 1.0e-5\n", "llamafactory.yaml", "simpo", True),
    ("stage: dpo\npref_loss: simpo\npref_beta: 2.5\nlearning_rate: 5.0e-7\n", "llamafactory.yaml", "simpo", False),
    ("stage: dpo\nfinetuning_type: lora\npref_loss: simpo\npref_beta: 2.5\nlearning_rate: 1.0e-5\n", "llamafactory.yaml",
     "simpo", False),
    ("from trl import GRPOConfig\nargs = GRPOConfig(output_dir=\"out\", loss_type=\"grpo\", num_generations=8)\n", "grpo.py",
     "grpo", True),
    ("from trl import GRPOConfig\nargs = GRPOConfig(output_dir=\"out\", loss_type=\"dr_grpo\", num_generations=8)\n",
     "grpo.py", "grpo", False),
]


@pytest.mark.parametrize(("text", "filename", "trick", "raised"), FINDINGS,
                         ids=[f"finding-{c[2]}-{c[3]}-{i}" for i, c in enumerate(FINDINGS)])
def test_findings_of_the_new_rules(text: str, filename: str, trick: str, raised: bool) -> None:
    res = check_text(text, filename=filename)
    hits = [f for f in res["findings"] if f["trick"] == trick]
    assert bool(hits) is raised, hits
    assert all(f["claims"] for f in hits)
