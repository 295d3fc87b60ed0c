"""Framework defaults as data (from docs/framework-defaults.md), and inferring the framework from the keys present.

Each framework lists the keys (and values) that reveal it, and the tricks its defaults turn on when the
config does not decide them, each with the source file and version it was read from. A default is skipped
when the config already turns the trick on or off, or names another trick of the same group (an explicit
SGD replaces a default AdamW).
"""

from __future__ import annotations

from .framework import Default, Framework
from .match import find, glob
from .readers import Item

_TF = "https://github.com/huggingface/transformers/blob/00349ae87eddc872ffa21a8a54f264375a0056a8/src/transformers/training_args.py"
_HF_MARKERS = tuple((k, None) for k in (
    "per_device_train_batch_size", "lr_scheduler_type", "warmup_ratio", "evaluation_strategy", "eval_strategy",
    "save_strategy", "logging_steps", "output_dir", "num_train_epochs", "max_grad_norm", "adam_beta1", "optim",
    "report_to", "gradient_accumulation_steps", "save_total_limit", "per_device_eval_batch_size"))

_MEGATRON = "https://github.com/NVIDIA/Megatron-LM/blob/d98e8a64ddf34856e74b24714e3bedb2f5a39553/megatron/training/arguments.py"
_OPENRLHF = "https://github.com/OpenRLHF/OpenRLHF/blob/3c3be6234e0cb353e76bb8019947db9dfe99fca7/openrlhf/cli/train_dpo.py"
_DEIT = "https://github.com/facebookresearch/deit/blob/7e160fe43f0252d17191b71cbb5826254114ea5b/main.py"
_OPEN_CLIP = "https://github.com/mlfoundations/open_clip/blob/89fb801f1e6087880e951fc8354b8a2077b79c6d/src/open_clip_train/params.py"
_VERL = "https://github.com/volcengine/verl/blob/b178a3cd56f58b2d502255daba591e92833930a7/verl/trainer/config/_generated_ppo_trainer.yaml"
_KOHYA = "https://github.com/kohya-ss/sd-scripts/blob/48d368fa557731ad0488c07304dfeba8c07910eb/library/train_util.py"
_SPEECHBRAIN = "https://github.com/speechbrain/speechbrain/blob/9c826ef3937bac885c8a6ca86c6889a30f256fb5/speechbrain/utils/run_opts.py"
_TRL_GRPO = "https://github.com/huggingface/trl/blob/f2cd57710ae345ea6428ae95363267fcf38a3dc8/trl/trainer/grpo_config.py"
_SWIN = "https://github.com/microsoft/Swin-Transformer/blob/f82860bfb5225915aca09c3227159ee9e1df874d/config.py"
_ULTRALYTICS = "https://github.com/ultralytics/ultralytics/blob/00016300105e79eb8b1646ab03c3d1df9274523f/ultralytics/engine/trainer.py"
_YOLOX = "https://github.com/Megvii-BaseDetection/YOLOX/blob/6ddff4824372906469a7fae2dc3206c7aa4bbaee/yolox/exp/yolox_base.py"
_SWIN_MARKERS = (("MODEL.TYPE", "swin*"), ("MODEL.SWIN", None), ("MODEL.SWINV2", None), ("TRAIN.BASE_LR", None),
                 ("TRAIN.WARMUP_EPOCHS", None), ("TRAIN.LR_SCHEDULER", None), ("DATA.IMG_SIZE", None))
_SWIN_SHARED = (Default("adamw", {"TRAIN.OPTIMIZER.NAME": "adamw", "BETAS": "(0.9, 0.999)"}, group="optimizer"),
                Default("weight-decay", {"TRAIN.WEIGHT_DECAY": "0.05"}),
                Default("no-decay-norm-bias", {}, requires="weight-decay"),
                Default("linear-scaling-rule", {"lr": "BASE_LR * batch_size * world_size / 512"}),
                Default("cosine-decay", {"TRAIN.LR_SCHEDULER.NAME": "cosine", "MIN_LR": "5e-6"}, group="schedule"),
                Default("lr-warmup", {"TRAIN.WARMUP_EPOCHS": "20"}),
                Default("gradient-clipping", {"TRAIN.CLIP_GRAD": "5.0"}))
_DEEPSPEED = "https://github.com/deepspeedai/DeepSpeed/blob/edaa7221267243c7be7fb49c5d5f5c4fb97b4641/deepspeed/runtime/constants.py"
_LLAMAFACTORY = "https://github.com/hiyouga/LLaMA-Factory/blob/ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30/src/llamafactory/hparams/model_args.py"

FRAMEWORKS: tuple[Framework, ...] = (
    Framework("llamafactory", "LLaMA-Factory", "LLaMA-Factory ff6d4d12", _LLAMAFACTORY,
              tuple((k, None) for k in ("stage", "finetuning_type", "template", "cutoff_len", "lora_target",
                                        "pref_beta", "pref_loss", "plot_loss")),
              needs=2, formats=("yaml", "json"), parent="hf-trainer",
              defaults=(Default("gradient-checkpointing", {"disable_gradient_checkpointing": "False"}),)),
    Framework("trl-grpo", "TRL GRPOConfig", "trl 1.10.0.dev0 (f2cd5771)", _TRL_GRPO,
              tuple((k, None) for k in ("num_generations", "max_completion_length", "use_vllm", "vllm_mode",
                                        "vllm_gpu_memory_utilization", "reward_funcs", "reward_weights",
                                        "scale_rewards", "num_iterations", "epsilon_high")),
              needs=2, formats=("yaml", "json"), parent="trl",
              defaults=(Default("grpo", {"GRPOConfig": "GRPOTrainer"}),
                        Default("ppo-kl-control", {"beta": "0.0"}, state="off", unless="beta"))),
    Framework("trl", "TRL (SFTConfig/DPOConfig)", "trl 1.10.0.dev0 (f2cd5771)",
              "https://github.com/huggingface/trl/blob/f2cd57710ae345ea6428ae95363267fcf38a3dc8/trl/trainer/base_config.py",
              (("dataset_name", None), ("dataset_mixer", None), ("dataset_mixture", None), ("max_prompt_length", None),
               ("use_peft", None), ("dataset_text_field", None), ("max_seq_length", None), ("beta", None)),
              needs=1, formats=("yaml", "json"), parent="hf-trainer",
              defaults=(Default("gradient-checkpointing", {"gradient_checkpointing": "True"}),
                        Default("bf16-training", {"bf16": "None (True unless fp16)"}, group="precision"))),
    Framework("axolotl", "Axolotl", "axolotl 067b021c",
              "https://github.com/axolotl-ai-cloud/axolotl/blob/067b021c8b87a9e5e380b9173c704cf7340e30f5/src/axolotl/utils/schemas/training.py",
              (("base_model", None), ("adapter", None), ("sample_packing", None), ("micro_batch_size", None),
               ("lora_target_linear", None), ("datasets.type", None)), formats=("yaml",),
              defaults=(Default("gradient-clipping", {"max_grad_norm": "1.0"}),)),
    Framework("hf-trainer", "Hugging Face TrainingArguments", "transformers 00349ae8", _TF, _HF_MARKERS, needs=3,
              defaults=(Default("adamw", {"optim": "adamw_torch"}, group="optimizer"),
                        Default("linear-decay-to-zero", {"lr_scheduler_type": "linear"}, group="schedule"),
                        Default("gradient-clipping", {"max_grad_norm": "1.0"}),
                        Default("no-decay-norm-bias", {}, requires="weight-decay"))),
    Framework("nanogpt", "nanoGPT train.py", "nanoGPT 3adf61e1",
              "https://github.com/karpathy/nanoGPT/blob/3adf61e154c3fe3fca428ad6bc3818b27a3b8291/train.py",
              tuple((k, None) for k in ("n_layer", "n_head", "n_embd", "block_size", "max_iters", "eval_interval",
                                        "eval_iters", "init_from", "wandb_log", "always_save_checkpoint",
                                        "lr_decay_iters", "decay_lr", "grad_clip", "wandb_project")),
              needs=2, formats=("python",),
              defaults=(Default("adamw", {}, group="optimizer"), Default("weight-decay", {"weight_decay": "1e-1"}),
                        Default("no-decay-norm-bias", {}), Default("adam-beta2-lowering", {"beta2": "0.95"}),
                        Default("gradient-clipping", {"grad_clip": "1.0"}),
                        Default("cosine-decay", {"lr_decay_iters": "600000"}, group="schedule"),
                        Default("lr-warmup", {"warmup_iters": "2000"}),
                        Default("bf16-training", {"dtype": "bfloat16"}, group="precision"),
                        Default("gradient-accumulation", {"gradient_accumulation_steps": "5 * 8"}))),
    Framework("torchtitan", "torchtitan", "torchtitan 238fa995",
              "https://github.com/pytorch/torchtitan/blob/238fa9953e4aec2a62582121564273d7cbb1e9f1/torchtitan/config/job_config.py",
              (("job.dump_folder", None), ("parallelism.*", None), ("activation_checkpoint.mode", None),
               ("lr_scheduler.warmup_steps", None), ("training.max_norm", None)), formats=("toml",),
              defaults=(Default("adamw", {"name": "AdamW"}, group="optimizer"),
                        Default("weight-decay", {"weight_decay": "0.1"}),
                        Default("no-decay-norm-bias", {}, state="off"),
                        Default("adam-beta2-lowering", {"beta2": "0.95"}),
                        Default("linear-decay-to-zero", {"decay_type": "linear", "min_lr_factor": "0.0"}, group="schedule"),
                        Default("lr-warmup", {"warmup_steps": "200"}),
                        Default("gradient-clipping", {"max_norm": "1.0"}),
                        Default("bf16-training", {"mixed_precision_param": "bfloat16"}, group="precision"))),
    Framework("torchtune", "torchtune", "torchtune bd2a0fc7 with torch 2.13.0",
              "https://github.com/pytorch/torchtune/blob/bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1/recipes/full_finetune_distributed.py",
              (("_component_", "torchtune.*"),), needs=1, decisive=(("_component_", "torchtune.*"),),
              defaults=(Default("weight-decay", {"weight_decay": "1e-2"}, requires="adamw"),
                        Default("no-decay-norm-bias", {}, state="off"))),
    Framework("olmo", "OLMo", "OLMo 59a53e3f",
              "https://github.com/allenai/OLMo/blob/59a53e3f68e546330ca5a99ec626e58f9ab96494/olmo/config.py",
              (("model.block_type", None), ("model.layer_norm_type", None), ("model.attention_layer_norm", None),
               ("model.include_bias", None), ("data.paths", None)), formats=("yaml",),
              defaults=(Default("no-decay-norm-bias", {"decay_norm_and_bias": "false"}, requires="weight-decay"),)),
    Framework("timm", "timm train.py", "pytorch-image-models 1.0.29.dev0 (aa4b5850)",
              "https://github.com/huggingface/pytorch-image-models/blob/aa4b5850c1543fa488abf260f18390eda46cf85d/train.py",
              tuple((k, None) for k in ("sched", "opt", "aa", "reprob", "model-ema", "drop-path", "warmup-epochs",
                                        "smoothing", "remode", "mixup", "cutmix", "amp")), needs=2, formats=("cli",),
              defaults=(Default("sgd-momentum", {"opt": "sgd"}, group="optimizer"),
                        Default("nesterov-momentum", {}, group="optimizer"),
                        Default("weight-decay", {"weight-decay": "2e-5"}), Default("no-decay-norm-bias", {}),
                        Default("label-smoothing", {"smoothing": "0.1"}),
                        Default("cosine-decay", {"sched": "cosine"}, group="schedule"),
                        Default("lr-warmup", {"warmup-epochs": "5"}),
                        Default("dynamic-loss-scaling", {}, requires="mixed-precision-fp16"))),
    Framework("detectron2", "detectron2", "detectron2 02b5c4e2",
              "https://github.com/facebookresearch/detectron2/blob/02b5c4e295e990042a714712c21dc79b731e8833/detectron2/config/defaults.py",
              (("SOLVER.BASE_LR", None), ("MODEL.META_ARCHITECTURE", None), ("INPUT.MIN_SIZE_TRAIN", None),
               ("train.amp.enabled", None), ("lr_multiplier.*", None), ("train.init_checkpoint", None),
               ("dataloader.train.*", None)),
              defaults=(Default("sgd-momentum", {"MOMENTUM": "0.9"}, group="optimizer"),
                        Default("step-decay", {"LR_SCHEDULER_NAME": "WarmupMultiStepLR"}, group="schedule"),
                        Default("lr-warmup", {"WARMUP_ITERS": "1000"}),
                        Default("weight-decay", {"WEIGHT_DECAY": "0.0001"}),
                        Default("no-decay-norm-bias", {"WEIGHT_DECAY_NORM": "0.0"}),
                        Default("dynamic-loss-scaling", {}, requires="mixed-precision-fp16"))),
    Framework("mmdet", "MMDetection (mmengine)", "mmdetection 0022ff4e",
              "https://github.com/open-mmlab/mmdetection/blob/0022ff4e82620681f9450ac66979f687326f5eeb/tools/train.py",
              (("optim_wrapper", None), ("param_scheduler", None), ("train_cfg", None), ("auto_scale_lr", None)),
              needs=1, formats=("python",)),
    Framework("diffusers", "diffusers training scripts", "diffusers 0.40.0.dev0 (58eb52c0)",
              "https://github.com/huggingface/diffusers/blob/58eb52c0803ea9af3abec60841c2a093bdf1f951/examples/text_to_image/train_text_to_image.py",
              (("script", "*train_text_to_image*"), ("pretrained_model_name_or_path", None), ("use_ema", None),
               ("mixed_precision", None), ("snr_gamma", None)), formats=("cli",),
              decisive=(("script", "*train_text_to_image*"),),
              defaults=(Default("adamw", {}, group="optimizer"), Default("weight-decay", {"adam_weight_decay": "1e-2"}),
                        Default("gradient-clipping", {"max_grad_norm": "1.0"}),
                        Default("lr-warmup", {"lr_warmup_steps": "500"}),
                        Default("dynamic-loss-scaling", {}, requires="mixed-precision-fp16"))),
    # Ultralytics YOLOv8 and later (args.yaml of a run, or a cfg= override file): close_mosaic and dfl exist only
    # there, not in YOLOv5's hyp files. Trainer behaviour read in ultralytics/engine/trainer.py at that commit;
    # `optimizer: auto` picks SGD/MuSGD or AdamW by the iteration count, so no optimizer is claimed for it.
    Framework("ultralytics", "Ultralytics YOLO (v8 and later) trainer", "ultralytics 00016300", _ULTRALYTICS,
              tuple((k, None) for k in ("close_mosaic", "dfl", "nbs", "cos_lr", "lr0", "lrf", "warmup_bias_lr",
                                        "overlap_mask", "kobj")), needs=3, formats=("yaml", "cli"),
              decisive=(("close_mosaic", "*"), ("dfl", "*"), ("script", "yolo")),
              defaults=(Default("nesterov-momentum", {"SGD": "nesterov=True"}, when=("optimizer", "sgd|musgd")),
                        Default("no-decay-norm-bias", {}),
                        Default("linear-decay-to-zero", {"lrf": "0.01"}, group="schedule"),
                        Default("lr-warmup", {"warmup_epochs": "3.0"}),
                        Default("weight-decay", {"weight_decay": "0.0005"}),
                        Default("ema-weights", {"ModelEMA decay": "0.9999", "tau": "2000"}),
                        Default("mixed-precision-fp16", {"amp": "True (check_amp)"}, group="precision"),
                        Default("dynamic-loss-scaling", {"GradScaler": "enabled with fp16 AMP"},
                                requires="mixed-precision-fp16"),
                        Default("gradient-clipping", {"max_norm": "10.0"}),
                        Default("mosaic-augmentation", {"mosaic": "1.0", "close_mosaic": "10"}))),
    Framework("yolov5", "YOLOv5 train.py", "yolov5 5081342f",
              "https://github.com/ultralytics/yolov5/blob/5081342f04fb287fc2e5f2b5a4e06752b7937b1c/train.py",
              tuple((k, None) for k in ("lr0", "lrf", "warmup_momentum", "warmup_bias_lr", "mosaic", "box", "obj",
                                        "anchor_t", "fl_gamma", "hsv_h")), needs=3, formats=("yaml",),
              defaults=(Default("sgd-momentum", {"optimizer": "SGD"}, group="optimizer"),
                        Default("nesterov-momentum", {}, group="optimizer"), Default("no-decay-norm-bias", {}),
                        Default("linear-decay-to-zero", {"lrf": "0.01"}, group="schedule"),
                        Default("ema-weights", {"ModelEMA decay": "0.9999"}),
                        Default("mixed-precision-fp16", {"amp": "check_amp"}, group="precision"),
                        Default("dynamic-loss-scaling", {"GradScaler": "True"}),
                        Default("gradient-clipping", {"max_norm": "10.0"}))),
    Framework("stable-baselines3", "Stable-Baselines3 / RL Zoo", "stable-baselines3 2.9.0a4 (e05d2dbe)",
              "https://github.com/DLR-RM/stable-baselines3/blob/e05d2dbe6eda0acd0ef2e316e3e4065677add3eb/stable_baselines3/ppo/ppo.py",
              tuple((k, None) for k in ("n_timesteps", "policy", "n_envs", "ent_coef", "gae_lambda", "n_steps")),
              defaults=(Default("adam", {}, group="optimizer"), Default("gradient-clipping", {"max_grad_norm": "0.5"}),
                        Default("orthogonal-init", {"ortho_init": "True"}))),
    Framework("latent-diffusion", "latent-diffusion main.py", "latent-diffusion a506df57",
              "https://github.com/CompVis/latent-diffusion/blob/a506df5756472e2ebaf9078affdde2c4f1502cd4/main.py",
              (("model.base_learning_rate", None), ("model.target", "ldm.*")), formats=("yaml",),
              decisive=(("model.target", "ldm.*"),),
              defaults=(Default("adamw", {}, group="optimizer"), Default("linear-scaling-rule", {"scale_lr": "True"}),
                        Default("ema-weights", {"use_ema": "True"}))),
    Framework("litgpt", "litgpt pretrain", "litgpt 26857050",
              "https://github.com/Lightning-AI/litgpt/blob/26857050fe3ff627cd714fe92f5838f51a3d5efa/litgpt/pretrain.py",
              (("train.micro_batch_size", None), ("train.global_batch_size", None), ("train.lr_warmup_steps", None),
               ("model_name", None)), formats=("yaml",),
              defaults=(Default("cosine-decay", {}, group="schedule"),)),
    Framework("fairseq", "fairseq", "fairseq 3d262bb2",
              "https://github.com/facebookresearch/fairseq/blob/3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99/fairseq/dataclass/configs.py",
              (("optimizer._name", None), ("lr_scheduler._name", None), ("optimization.update_freq", None),
               ("common.fp16", None)),
              defaults=(Default("dynamic-loss-scaling", {"fp16_init_scale": "128"}, requires="mixed-precision-fp16"),),
              remap=(("adam", "adamw"),)),
    Framework("biggan-pytorch", "BigGAN-PyTorch", "BigGAN-PyTorch 98459431",
              "https://github.com/ajbrock/BigGAN-PyTorch/blob/98459431a5d618d644d54cd1e9fceb1e5045648d/utils.py",
              (("G_lr", None), ("D_lr", None), ("G_ch", None), ("num_G_accumulations", None)), formats=("cli",),
              defaults=(Default("adam", {}, group="optimizer"),
                        Default("spectral-norm-gan", {"G_param": "SN", "D_param": "SN"}))),
    Framework("opennmt-py", "OpenNMT-py", "OpenNMT-py 97111d97",
              "https://github.com/OpenNMT/OpenNMT-py/blob/97111d97551c24857076a4102eabdb468b35cff4/onmt/opts.py",
              (("decay_method", None), ("accum_count", None), ("param_init_glorot", None), ("position_encoding", None)),
              defaults=(Default("gradient-clipping", {"max_grad_norm": "5"}),)),
    Framework("megatron", "Megatron-LM pretrain_gpt.py", "Megatron-LM d98e8a64", _MEGATRON,
              (("script", "*pretrain_gpt*"),) + tuple((k, None) for k in (
                  "tensor-model-parallel-size", "pipeline-model-parallel-size", "micro-batch-size",
                  "global-batch-size", "lr-decay-style", "num-layers", "hidden-size", "num-attention-heads",
                  "seq-length", "max-position-embeddings", "train-iters", "train-samples", "lr-warmup-fraction",
                  "lr-decay-iters", "use-distributed-optimizer", "clip-grad", "init-method-std")),
              needs=3, formats=("cli",), decisive=(("script", "*pretrain_gpt*.py"),),
              defaults=(Default("adamw", {"optimizer": "adam", "decoupled_weight_decay": "True"}, group="optimizer"),
                        Default("weight-decay", {"weight-decay": "0.01"}),
                        Default("no-decay-norm-bias", {}, requires="weight-decay"),
                        Default("gradient-clipping", {"clip-grad": "1.0"}),
                        Default("dynamic-loss-scaling", {"loss-scale": "None"}, requires="mixed-precision-fp16")),
              remap=(("adam", "adamw"),)),
    Framework("openrlhf", "OpenRLHF (openrlhf.cli.train_dpo / train_ppo_ray)", "OpenRLHF 3c3be623", _OPENRLHF,
              (("m", "openrlhf.*"), ("module", "openrlhf.*")) + tuple((k, None) for k in (
                  "ds.zero_stage", "ds.param_dtype", "ds.packing_samples", "train.micro_batch_size",
                  "train.batch_size", "ckpt.output_dir", "adam.lr", "model.model_name_or_path",
                  "actor.model_name_or_path", "data.max_len", "rollout.batch_size", "algo.kl.init_coef")),
              needs=3, formats=("cli",), decisive=(("m", "openrlhf.*"), ("module", "openrlhf.*")),
              defaults=(Default("adamw", {"optim": "adam"}, group="optimizer"),
                        Default("adam-beta2-lowering", {"adam.betas": "(0.9, 0.95)"}, unless="adam.betas"),
                        Default("weight-decay", {"adam.weight_decay": "0.0"}, state="off"),
                        Default("no-decay-norm-bias", {}, requires="weight-decay"),
                        Default("cosine-decay", {"lr_scheduler": "cosine_with_min_lr", "min_lr_ratio": "0.1"},
                                group="schedule"),
                        Default("lr-warmup", {"lr_warmup_ratio": "0.03"}),
                        Default("gradient-clipping", {"max_norm": "1.0"})),
              remap=(("adam", "adamw"),)),
    Framework("deit", "DeiT main.py", "deit 7e160fe4 with timm 0.3.2", _DEIT,
              (("model", "deit_*|cait_*"), ("distillation-type", None), ("teacher-model", None),
               ("unscale-lr", None), ("repeated-aug", None), ("no-repeated-aug", None), ("ThreeAugment", None)),
              needs=2, formats=("cli",), decisive=(("model", "deit_*"),),
              defaults=(Default("adamw", {"opt": "adamw"}, group="optimizer"),
                        Default("weight-decay", {"weight-decay": "0.05"}),
                        Default("no-decay-norm-bias", {}, requires="weight-decay"),
                        Default("linear-scaling-rule", {"lr": "5e-4 * batch_size * world_size / 512"}),
                        Default("cosine-decay", {"sched": "cosine", "min-lr": "1e-5"}, group="schedule"),
                        Default("lr-warmup", {"warmup-epochs": "5"}),
                        Default("label-smoothing", {"smoothing": "0.1"}),
                        Default("mixup", {"mixup": "0.8"}),
                        Default("cutmix", {"cutmix": "1.0"}),
                        Default("randaugment", {"aa": "rand-m9-mstd0.5-inc1"}),
                        Default("random-erasing", {"reprob": "0.25"}),
                        Default("repeated-augmentation", {"repeated_aug": "True"}),
                        Default("stochastic-depth", {"drop-path": "0.1"}),
                        Default("ema-weights", {"model_ema": "True", "model-ema-decay": "0.99996"}),
                        Default("mixed-precision-fp16", {"autocast": "torch.cuda.amp.autocast"}, group="precision"),
                        Default("dynamic-loss-scaling", {"loss_scaler": "NativeScaler"},
                                requires="mixed-precision-fp16"))),
    Framework("open-clip", "open_clip training (open_clip_train.main)", "open_clip 89fb801f", _OPEN_CLIP,
              (("m", "open_clip_train.main|training.main"),) + tuple((k, None) for k in (
                  "train-data", "train-num-samples", "dataset-type", "dataset-resampled", "local-loss",
                  "gather-with-grad", "lock-image", "lock-text", "save-frequency", "zeroshot-frequency",
                  "imagenet-val", "grad-clip-norm", "force-quick-gelu")),
              needs=3, formats=("cli",), decisive=(("m", "open_clip_train.main"),),
              defaults=(Default("adamw", {"opt": "adamw"}, group="optimizer"),
                        Default("weight-decay", {"wd": "0.2"}),
                        Default("no-decay-norm-bias", {}, requires="weight-decay"),
                        Default("adam-beta2-lowering", {"beta2": "0.98"}, when=("model", "*vit*"), unless="beta2"),
                        Default("adam-epsilon", {"eps": "1.0e-6"}, when=("model", "*vit*"), unless="eps"),
                        Default("cosine-decay", {"lr-scheduler": "cosine"}, group="schedule"),
                        Default("lr-warmup", {"warmup": "10000"}),
                        Default("bf16-training", {"precision": "amp_bf16"}, group="precision"),
                        Default("contrastive-temperature", {"init_logit_scale": "np.log(1 / 0.07)"}))),
    Framework("verl", "verl (verl.trainer.main_ppo, ppo_trainer.yaml)", "verl b178a3cd", _VERL,
              (("m", "verl.trainer.*"),) + tuple((k, None) for k in (
                  "actor_rollout_ref.actor.optim.lr", "actor_rollout_ref.actor.ppo_mini_batch_size",
                  "actor_rollout_ref.rollout.n", "actor_rollout_ref.rollout.name", "actor_rollout_ref.model.path",
                  "algorithm.adv_estimator", "data.train_batch_size", "trainer.n_gpus_per_node",
                  "actor_rollout_ref.actor.use_kl_loss", "critic.optim.lr")),
              needs=2, formats=("cli", "yaml"), decisive=(("m", "verl.trainer.*"),),
              defaults=(Default("adamw", {"actor.optim.optimizer": "AdamW"}, group="optimizer"),
                        Default("weight-decay", {"actor.optim.weight_decay": "0.01"}),
                        Default("gradient-clipping", {"actor.grad_clip": "1.0"}),
                        Default("lr-warmup", {"actor.optim.lr_warmup_steps_ratio": "0.0"}, state="off"),
                        Default("ppo-kl-control", {"use_kl_loss": "false", "use_kl_in_reward": "false"},
                                state="off"),
                        Default("rl-entropy-control", {"entropy_coeff": "0"}, state="off"),
                        Default("gradient-checkpointing", {"model.enable_gradient_checkpointing": "true"}),
                        Default("bf16-training", {"fsdp_config.dtype": "bfloat16"}, group="precision"))),
    Framework("kohya", "kohya-ss sd-scripts (train_network.py, sdxl_train.py)", "sd-scripts 48d368fa", _KOHYA,
              (("script", "*train_network.py|*sdxl_train*.py|*flux_train*.py|*sd3_train*.py|*fine_tune.py"),)
              + tuple((k, None) for k in ("network_module", "network_dim", "network_alpha", "save_model_as",
                                          "caption_extension", "train_data_dir", "optimizer_type", "output_name",
                                          "enable_bucket", "min_snr_gamma", "cache_latents", "save_every_n_epochs")),
              needs=3, formats=("cli", "toml"),
              decisive=(("script", "*train_network.py|*sdxl_train*.py|*flux_train*.py|*sd3_train*.py"),),
              defaults=(Default("adamw", {"optimizer_type": "\"\" (AdamW)"}, group="optimizer"),
                        Default("weight-decay", {"weight_decay": "1e-2 (torch.optim.AdamW)"}, requires="adamw",
                                unless="optimizer_args"),
                        Default("gradient-clipping", {"max_grad_norm": "1.0"}))),
    Framework("deepspeed", "DeepSpeed (ds_config)", "DeepSpeed edaa7221 (0.19.x)", _DEEPSPEED,
              tuple((k, None) for k in ("zero_optimization", "train_micro_batch_size_per_gpu", "train_batch_size",
                                        "gradient_clipping", "steps_per_print", "wall_clock_breakdown",
                                        "fp16.loss_scale_window", "fp16.initial_scale_power",
                                        "zero_allow_untested_optimizer", "bf16.enabled")),
              needs=2, formats=("json",),
              defaults=(Default("dynamic-loss-scaling", {"fp16.loss_scale": "0 (dynamic)"},
                                requires="mixed-precision-fp16"),
                        # 1.0 since DeepSpeed 0.19.3 (PR #8068, June 2026); 0.0, no clipping, before that
                        Default("gradient-clipping", {"gradient_clipping": "1.0 (DeepSpeed >= 0.19.3; off before)"}))),
    # yacs configs of microsoft/Swin-Transformer, merged over config.py's defaults by main.py (classification)
    # or main_simmim_ft.py (SimMIM fine-tuning); optimizer, scheduler, data and loss code read at that commit.
    # Mixed precision is left out: main.py reads AMP_ENABLE (default True), the SimMIM scripts ENABLE_AMP
    # (default False), and a config does not say which script runs it.
    Framework("swin", "Swin Transformer main.py or main_simmim_ft.py (yacs config)", "Swin-Transformer f82860bf", _SWIN, _SWIN_MARKERS,
              needs=3, formats=("yaml",),
              defaults=_SWIN_SHARED + (
                        Default("label-smoothing", {"MODEL.LABEL_SMOOTHING": "0.1"}),
                        Default("mixup", {"AUG.MIXUP": "0.8"}),
                        Default("cutmix", {"AUG.CUTMIX": "1.0"}),
                        Default("randaugment", {"AUG.AUTO_AUGMENT": "rand-m9-mstd0.5-inc1"}, unless="AUTO_AUGMENT"),
                        Default("random-erasing", {"AUG.REPROB": "0.25"}),
                        Default("stochastic-depth", {"MODEL.DROP_PATH_RATE": "0.1"}))),
    # SimMIM pre-training (main_simmim_pt.py, configs with DATA.MASK_RATIO): its data pipeline has no mixup,
    # RandAugment or random erasing and its loss no label smoothing, so only the shared defaults apply
    Framework("swin-simmim-pretrain", "Swin Transformer main_simmim_pt.py (yacs config)", "Swin-Transformer f82860bf",
              _SWIN, _SWIN_MARKERS + (("DATA.MASK_RATIO", None),), needs=4, formats=("yaml",),
              defaults=_SWIN_SHARED),
    # YOLOX experiment classes (exps/*.py: `class Exp(MyExp)` setting self.* in __init__) over yolox_base.py's
    # defaults; the optimizer, EMA and no-aug epochs read in yolox_base.py and yolox/core/trainer.py at that commit.
    # FP16 comes from tools/train.py's --fp16 flag, not from the exp, so it is not claimed.
    Framework("yolox", "YOLOX experiment (yolox_base.py)", "YOLOX 6ddff482", _YOLOX,
              tuple((k, None) for k in ("depth", "width", "exp_name", "train_ann", "val_ann", "data_num_workers",
                                        "no_aug_epochs", "mosaic_prob", "basic_lr_per_img", "eval_interval")),
              needs=4, formats=("python",),
              defaults=(Default("sgd-momentum", {"optimizer": "torch.optim.SGD", "momentum": "0.9"}, group="optimizer"),
                        Default("nesterov-momentum", {"nesterov": "True"}),
                        Default("weight-decay", {"weight_decay": "5e-4"}),
                        Default("no-decay-norm-bias", {}, requires="weight-decay"),
                        Default("linear-scaling-rule", {"lr": "basic_lr_per_img (0.01 / 64) * batch_size"}),
                        Default("cosine-decay", {"scheduler": "yoloxwarmcos", "min_lr_ratio": "0.05"},
                                group="schedule"),
                        Default("lr-warmup", {"warmup_epochs": "5"}),
                        Default("mosaic-augmentation", {"mosaic_prob": "1.0", "no_aug_epochs": "15"}),
                        Default("mixup", {"mixup_prob": "1.0", "enable_mixup": "True"}, unless="enable_mixup"),
                        Default("ema-weights", {"ema": "True", "decay": "0.9998"}))),
    Framework("speechbrain", "SpeechBrain (Brain run options)", "speechbrain 9c826ef3", _SPEECHBRAIN,
              (("*", "!new:speechbrain.*"), ("*", "!name:speechbrain.*"), ("opt_class", None),
               ("epoch_counter", None), ("grad_accumulation_factor", None), ("lr_annealing", None)),
              needs=2, formats=("yaml",), decisive=(("*", "!new:speechbrain.*"), ("*", "!name:speechbrain.*")),
              defaults=(Default("gradient-clipping", {"max_grad_norm": "5.0"}),
                        Default("dynamic-loss-scaling", {"GradScaler": "precision == fp16 on cuda"},
                                requires="mixed-precision-fp16"))),
)
BY_ID = {f.id: f for f in FRAMEWORKS}


def _score(fw: Framework, items: list[Item]) -> int:
    hits = 0
    for key, value in fw.markers:
        found = find(items, key, leaves_only=False)
        if value is not None:
            found = [it for it in found if glob(value, it.value)]
        hits += bool(found)
    return hits


def infer(items: list[Item], fmt: str) -> Framework | None:
    """The framework whose markers the config shows most (at least its ``needs``), first listed on ties."""
    for fw in FRAMEWORKS:
        if (not fw.formats or fmt in fw.formats) and fw.decisive and any(
                any(glob(v, it.value) for it in find(items, k)) for k, v in fw.decisive):
            return fw
    best, best_score = None, 0
    for fw in FRAMEWORKS:
        if fw.formats and fmt not in fw.formats:
            continue
        s = _score(fw, items)
        if s >= fw.needs and s > best_score:
            best, best_score = fw, s
        if fw.parent and s >= fw.needs and any(_score(a, items) >= 2 for a in chain(BY_ID[fw.parent])):
            return fw  # a subclass framework (trl over the HF Trainer) wins when both show
    return best


def chain(fw: Framework | None) -> list[Framework]:
    """The framework and the ones it inherits defaults from."""
    out = []
    while fw is not None:
        out.append(fw)
        fw = BY_ID.get(fw.parent) if fw.parent else None
    return out
