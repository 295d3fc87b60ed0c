"""Recipe check: detect blocks of vision, diffusion, GAN, loss, sampling, norm, optimizer and SSL entries.

Each case is a short snippet in the real syntax of the library whose key the block uses (the library is named
in the case id), checked through ``check_text``: on cases, off cases, and look-alikes that must not detect.
"""

from __future__ import annotations

import pytest

from tricks_kb.recipe.check import check_text

DIFFUSERS = "accelerate launch train_text_to_image.py \\\n  --pretrained_model_name_or_path=$MODEL \\\n  "
KOHYA = "accelerate launch train_network.py \\\n  --pretrained_model_name_or_path=model.safetensors \\\n  "

# (case id, text, filename, trick, expected state)
CASES = [
    # ultralytics default.yaml / yolov5 hyp files; mmdet YOLOX pipeline
    ("ultralytics-mosaic-on", "lr0: 0.01\nlrf: 0.01\nmosaic: 1.0\nclose_mosaic: 10\n", "hyp.yaml",
     "mosaic-augmentation", "on"),
    ("ultralytics-mosaic-off", "lr0: 0.01\nlrf: 0.01\nmosaic: 0.0\nmixup: 0.0\n", "hyp.yaml",
     "mosaic-augmentation", "off"),
    ("mmdet-yolox-mosaic", "train_pipeline = [\n    dict(type='Mosaic', img_scale=(640, 640), pad_val=114.0),\n"
     "    dict(type='RandomAffine', scaling_ratio_range=(0.1, 2)),\n]\n", "yolox.py", "mosaic-augmentation", "on"),
    # diffusers train_text_to_image.py --snr_gamma; kohya sd-scripts --min_snr_gamma
    ("diffusers-snr-gamma", DIFFUSERS + "--snr_gamma=5.0 --output_dir=out\n", "run.sh", "min-snr-weighting", "on"),
    ("kohya-min-snr-gamma", KOHYA + "--min_snr_gamma=5 --output_dir=out\n", "run.sh", "min-snr-weighting", "on"),
    ("diffusers-snr-gamma-zero", DIFFUSERS + "--snr_gamma=0 --output_dir=out\n", "run.sh", "min-snr-weighting", "off"),
    # diffusers / kohya --noise_offset; diffusers scheduler rescale_betas_zero_snr
    ("diffusers-noise-offset", DIFFUSERS + "--noise_offset=0.1 --output_dir=out\n", "run.sh", "offset-noise", "on"),
    ("diffusers-noise-offset-zero", DIFFUSERS + "--noise_offset=0 --output_dir=out\n", "run.sh", "offset-noise", "off"),
    ("diffusers-scheduler-zero-snr", '{"_class_name": "DDIMScheduler", "rescale_betas_zero_snr": true,\n'
     ' "timestep_spacing": "trailing", "prediction_type": "v_prediction"}\n', "scheduler_config.json",
     "offset-noise", "on"),
    # v-prediction: diffusers --prediction_type, kohya --v_parameterization, SD2 v2-inference-v.yaml
    ("diffusers-prediction-type-v", DIFFUSERS + "--prediction_type=v_prediction --output_dir=out\n", "run.sh",
     "v-prediction", "on"),
    ("diffusers-prediction-type-eps", DIFFUSERS + "--prediction_type=epsilon --output_dir=out\n", "run.sh",
     "v-prediction", "off"),
    ("kohya-v-parameterization", KOHYA + "--v2 --v_parameterization --output_dir=out\n", "run.sh",
     "v-prediction", "on"),
    ("sd2-ldm-parameterization-v", "model:\n  base_learning_rate: 1.0e-4\n  target: ldm.models.diffusion.ddpm."
     "LatentDiffusion\n  params:\n    parameterization: \"v\"\n    linear_start: 0.00085\n", "v2-inference-v.yaml",
     "v-prediction", "on"),
    ("ldm-parameterization-eps", "model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n"
     "    parameterization: eps\n", "ldm.yaml", "v-prediction", "off"),
    # diffusers train_dreambooth.py --with_prior_preservation; kohya --reg_data_dir
    ("diffusers-dreambooth-prior", "accelerate launch train_dreambooth.py \\\n  --instance_data_dir=$DIR \\\n"
     "  --with_prior_preservation --prior_loss_weight=1.0 \\\n  --class_prompt=\"a photo of dog\" "
     "--num_class_images=200\n", "run.sh", "prior-preservation-loss", "on"),
    ("kohya-reg-data-dir", "accelerate launch train_db.py --train_data_dir=train --reg_data_dir=reg "
     "--prior_loss_weight=1.0\n", "run.sh", "prior-preservation-loss", "on"),
    # classifier-free guidance: instruct_pix2pix --conditioning_dropout_prob, kohya --caption_dropout_rate,
    # DiT sample.py --cfg-scale
    ("diffusers-pix2pix-cond-dropout", "accelerate launch train_instruct_pix2pix.py \\\n"
     "  --conditioning_dropout_prob=0.05 --mixed_precision=fp16\n", "run.sh", "classifier-free-guidance", "on"),
    ("kohya-caption-dropout", KOHYA + "--caption_dropout_rate=0.1\n", "run.sh", "classifier-free-guidance", "on"),
    ("dit-cfg-scale", "python sample.py --model DiT-XL/2 --image-size 256 --cfg-scale 4.0\n", "run.sh",
     "classifier-free-guidance", "on"),
    ("dit-cfg-scale-one", "python sample.py --model DiT-XL/2 --image-size 256 --cfg-scale 1.0\n", "run.sh",
     "classifier-free-guidance", "off"),
    # diffusers SD3 scripts --weighting_scheme; kohya flux --timestep_sampling
    ("diffusers-sd3-logit-normal", "accelerate launch train_dreambooth_sd3.py \\\n  --weighting_scheme=logit_normal"
     " --logit_mean=0.0 --logit_std=1.0\n", "run.sh", "rectified-flow-timestep-sampling", "on"),
    ("diffusers-sd3-weighting-none", "accelerate launch train_dreambooth_sd3.py \\\n  --weighting_scheme=none\n",
     "run.sh", "rectified-flow-timestep-sampling", "off"),
    ("kohya-flux-sigmoid", "accelerate launch flux_train_network.py --timestep_sampling sigmoid "
     "--discrete_flow_shift 3.1582\n", "run.sh", "rectified-flow-timestep-sampling", "on"),
    ("kohya-flux-shift", "accelerate launch flux_train_network.py --timestep_sampling flux_shift "
     "--model_prediction_type raw\n", "run.sh", "rectified-flow-timestep-sampling", "on"),
    ("kohya-flux-uniform", "accelerate launch flux_train_network.py --timestep_sampling uniform\n", "run.sh",
     "rectified-flow-timestep-sampling", "off"),
    # improved/guided-diffusion --noise_schedule; diffusers scheduler config
    ("guided-diffusion-cosine", "python scripts/image_train.py --image_size 64 --diffusion_steps 4000 "
     "--noise_schedule cosine --lr 1e-4\n", "run.sh", "diffusion-noise-schedule", "on"),
    ("diffusers-squaredcos", '{"_class_name": "DDPMScheduler", "beta_schedule": "squaredcos_cap_v2",'
     ' "num_train_timesteps": 1000}\n', "scheduler_config.json", "diffusion-noise-schedule", "on"),
    ("diffusers-flow-dynamic-shift", '{"_class_name": "FlowMatchEulerDiscreteScheduler", "use_dynamic_shifting": true,'
     ' "base_shift": 0.5, "max_shift": 1.15}\n', "scheduler_config.json", "diffusion-noise-schedule", "on"),
    # stylegan2-ada-pytorch / stylegan3 train.py --aug
    ("stylegan2-ada-aug-ada", "python train.py --outdir=runs --data=ffhq.zip --gpus=8 --aug=ada --target=0.6 "
     "--augpipe=bgc\n", "run.sh", "adaptive-discriminator-augmentation", "on"),
    ("stylegan2-ada-noaug", "python train.py --outdir=runs --data=ffhq.zip --gpus=8 --aug=noaug\n", "run.sh",
     "adaptive-discriminator-augmentation", "off"),
    # data-efficient-gans --DiffAugment
    ("diffaugment-stylegan2", "python train.py --outdir=runs --data=100-shot-obama.zip --gpus=1 "
     "--DiffAugment=color,translation,cutout\n", "run.sh", "differentiable-augmentation", "on"),
    ("diffaugment-empty", "python train.py --outdir=runs --data=100-shot-obama.zip --DiffAugment=\"\"\n", "run.sh",
     "differentiable-augmentation", "off"),
    # BigGAN-PyTorch --G_lr/--D_lr; WassersteinGAN --lrD/--lrG
    ("biggan-ttur", "python train.py --dataset I128_hdf5 --G_lr 1e-4 --D_lr 4e-4 --num_D_steps 1\n", "run.sh",
     "two-timescale-update-rule", "on"),
    ("wgan-lrd-above-lrg", "python main.py --dataset lsun --dataroot lsun --lrD 4e-4 --lrG 1e-4 --Diters 1\n",
     "run.sh", "two-timescale-update-rule", "on"),
    # focal loss: yolov5 hyp fl_gamma, mmdet RetinaNet loss_cls, detectron2 RetinaNet
    ("yolov5-fl-gamma", "lr0: 0.01\nlrf: 0.01\nfl_gamma: 1.5\nhsv_h: 0.015\n", "hyp.yaml", "focal-loss", "on"),
    ("yolov5-fl-gamma-zero", "lr0: 0.01\nlrf: 0.01\nfl_gamma: 0.0\nhsv_h: 0.015\n", "hyp.yaml", "focal-loss", "off"),
    ("mmdet-retinanet-focal", "model = dict(\n    bbox_head=dict(\n        type='RetinaHead',\n"
     "        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)))\n",
     "retinanet.py", "focal-loss", "on"),
    ("detectron2-retinanet", "MODEL:\n  META_ARCHITECTURE: \"RetinaNet\"\n  RETINANET:\n    FOCAL_LOSS_GAMMA: 2.0\n"
     "SOLVER:\n  BASE_LR: 0.01\n", "retinanet.yaml", "focal-loss", "on"),
    # mmseg CrossEntropyLoss class_weight; sklearn/keras class_weight='balanced'
    ("mmseg-class-weight-list", "model = dict(decode_head=dict(loss_decode=dict(type='CrossEntropyLoss',"
     " use_sigmoid=False, loss_weight=1.0, class_weight=[0.8373, 0.918, 0.866, 1.0345])))\n", "seg.py",
     "class-weighted-loss", "on"),
    ("class-weight-balanced", "model:\n  class_weight: balanced\n  max_iter: 100\n", "cfg.yaml",
     "class-weighted-loss", "on"),
    ("mmseg-class-weight-none", "model = dict(decode_head=dict(loss_decode=dict(type='CrossEntropyLoss',"
     " class_weight=None)))\n", "seg.py", "class-weighted-loss", "off"),
    # dice: mmseg DiceLoss, MONAI DiceCELoss via _target_
    ("mmseg-dice-loss", "model = dict(decode_head=dict(loss_decode=[dict(type='CrossEntropyLoss', loss_weight=1.0),"
     " dict(type='DiceLoss', loss_weight=3.0)]))\n", "seg.py", "dice-loss", "on"),
    ("paddleseg-dice", "loss:\n  types:\n    - type: MixedLoss\n      losses:\n        - type: CrossEntropyLoss\n"
     "        - type: DiceLoss\n      coef: [0.8, 0.2]\n", "seg.yml", "dice-loss", "on"),
    ("monai-dice-ce", "loss:\n  _target_: monai.losses.DiceCELoss\n  to_onehot_y: true\n  softmax: true\n",
     "train.yaml", "dice-loss", "on"),
    # OHEM: mmseg OHEMPixelSampler, mmdet OHEMSampler, HRNet-seg LOSS.USE_OHEM
    ("mmseg-ohem-pixel", "model = dict(decode_head=dict(sampler=dict(type='OHEMPixelSampler', thresh=0.7,"
     " min_kept=100000)))\n", "seg.py", "ohem", "on"),
    ("mmdet-ohem-sampler", "model = dict(train_cfg=dict(rcnn=dict(sampler=dict(type='OHEMSampler', num=512,"
     " pos_fraction=0.25))))\n", "faster.py", "ohem", "on"),
    ("paddleseg-ohem-ce", "loss:\n  types:\n    - type: OhemCrossEntropyLoss\n      min_kept: 130000\n"
     "  coef: [1]\n", "pp_liteseg.yml", "ohem", "on"),
    ("hrnet-use-ohem-false", "LOSS:\n  USE_OHEM: false\n  OHEMTHRES: 0.9\n  OHEMKEEP: 131072\n", "hrnet.yaml",
     "ohem", "off"),
    # detectron2 RepeatFactorTrainingSampler, mmdet ClassBalancedDataset
    ("detectron2-repeat-factor", "DATALOADER:\n  SAMPLER_TRAIN: \"RepeatFactorTrainingSampler\"\n"
     "  REPEAT_THRESHOLD: 0.001\nSOLVER:\n  BASE_LR: 0.02\n", "lvis.yaml", "class-balanced-sampling", "on"),
    ("mmdet-class-balanced-dataset", "train_dataloader = dict(dataset=dict(type='ClassBalancedDataset',"
     " oversample_thr=1e-3, dataset=dict(type='LVISV1Dataset')))\n", "lvis.py", "class-balanced-sampling", "on"),
    # frozen BN: mmdet backbone norm_eval, detectron2 RESNETS.NORM FrozenBN
    ("mmdet-norm-eval", "model = dict(backbone=dict(type='ResNet', depth=50,"
     " norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True))\n", "det.py",
     "freeze-batchnorm-statistics", "on"),
    ("mmdet-norm-eval-false", "model = dict(backbone=dict(type='ResNet', norm_cfg=dict(type='SyncBN'),"
     " norm_eval=False))\n", "det.py", "freeze-batchnorm-statistics", "off"),
    ("detectron2-frozenbn", "MODEL:\n  META_ARCHITECTURE: \"GeneralizedRCNN\"\n  RESNETS:\n    NORM: \"FrozenBN\"\n",
     "rcnn.yaml", "freeze-batchnorm-statistics", "on"),
    # group norm: detectron2 NORM GN, mmdet norm_cfg GN, NeMo conv_norm_type groupnormN
    ("detectron2-gn", "MODEL:\n  RESNETS:\n    NORM: \"GN\"\n  FPN:\n    NORM: \"GN\"\n", "gn.yaml", "group-norm", "on"),
    ("mmdet-gn", "norm_cfg = dict(type='GN', num_groups=32, requires_grad=True)\n", "gn.py", "group-norm", "on"),
    ("nemo-conformer-groupnorm", "model:\n  encoder:\n    conv_norm_type: 'groupnorm32'\n", "conformer.yaml",
     "group-norm", "on"),
    # LayerScale: HF ConvNextConfig / mmpretrain layer_scale_init_value, timm ls_init_value
    ("hf-convnext-layer-scale", '{"model_type": "convnext", "layer_scale_init_value": 1e-06, "depths": [3, 3, 9, 3]}\n',
     "config.json", "layerscale", "on"),
    ("mmpretrain-layer-scale-zero", "model = dict(backbone=dict(type='ConvNeXt', arch='tiny',"
     " layer_scale_init_value=0.))\n", "convnext.py", "layerscale", "off"),
    # torchvision/mmdet zero_init_residual, timm zero_init_last, pycls BN.ZERO_INIT_FINAL_GAMMA
    ("mmdet-zero-init-residual", "model = dict(backbone=dict(type='ResNet', depth=50, zero_init_residual=True))\n",
     "det.py", "zero-init-residual", "on"),
    ("mmdet-zero-init-residual-false", "model = dict(backbone=dict(type='ResNet', zero_init_residual=False))\n",
     "det.py", "zero-init-residual", "off"),
    ("pycls-zero-init-gamma", "MODEL:\n  TYPE: resnet\nBN:\n  ZERO_INIT_FINAL_GAMMA: True\n", "R-50.yaml",
     "zero-init-residual", "on"),
    # timm train.py --channels-last
    ("timm-channels-last", "./distributed_train.sh 8 /imagenet --model resnet50 --amp --channels-last -b 256\n",
     "run.sh", "channels-last", "on"),
    # mmengine env_cfg.cudnn_benchmark, detectron2 CUDNN_BENCHMARK
    ("mmengine-cudnn-benchmark-off", "env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))\n",
     "runtime.py", "cudnn-benchmark", "off"),
    ("detectron2-cudnn-benchmark", "CUDNN_BENCHMARK: true\nSOLVER:\n  BASE_LR: 0.02\n", "rcnn.yaml",
     "cudnn-benchmark", "on"),
    # Composer SAM algorithm
    ("composer-sam", "algorithms:\n  sam:\n    rho: 0.05\n    interval: 1\n", "composer.yaml", "sam", "on"),
    # Lightning StochasticWeightAveraging callback
    ("lightning-swa-callback", "trainer:\n  callbacks:\n    - class_path: lightning.pytorch.callbacks."
     "StochasticWeightAveraging\n      init_args:\n        swa_lrs: 0.01\n", "config.yaml", "swa", "on"),
    # timm optimizer names lookahead_*
    ("timm-lookahead-adamw", "./distributed_train.sh 8 /imagenet --model resnet50 --opt lookahead_adamw --lr 1e-3\n",
     "run.sh", "lookahead", "on"),
    # timm --clip-mode agc
    ("timm-agc", "./distributed_train.sh 8 /imagenet --model nfnet_f0 --opt sgd --clip-grad 0.01 --clip-mode agc\n",
     "run.sh", "adaptive-gradient-clipping", "on"),
    ("timm-clip-mode-norm", "./distributed_train.sh 8 /imagenet --model resnet50 --clip-grad 1.0 --clip-mode norm\n",
     "run.sh", "adaptive-gradient-clipping", "off"),
    # OpenNMT-py param_init_glorot; mmdet init_cfg Xavier
    ("opennmt-glorot", "param_init: 0.0\nparam_init_glorot: true\ndecay_method: noam\n", "opennmt.yml",
     "glorot-init", "on"),
    ("opennmt-glorot-false", "param_init: 0.1\nparam_init_glorot: false\n", "opennmt.yml", "glorot-init", "off"),
    ("mmdet-init-xavier", "model = dict(neck=dict(type='FPN', init_cfg=dict(type='Xavier', layer='Conv2d',"
     " distribution='uniform')))\n", "det.py", "glorot-init", "on"),
    # Composer ProgressiveResizing; FFCV ImageNet resolution ramp
    ("composer-progressive-resizing", "algorithms:\n  progressive_resizing:\n    initial_scale: 0.5\n"
     "    finetune_fraction: 0.2\n", "composer.yaml", "progressive-resizing", "on"),
    ("ffcv-resolution-ramp", "resolution:\n  end_ramp: 76\n  max_res: 192\n  min_res: 160\n  start_ramp: 65\n",
     "rn50.yaml", "progressive-resizing", "on"),
    # detectron2 TEST.AUG.ENABLED, nnU-Net --disable_tta
    ("detectron2-test-aug", "TEST:\n  AUG:\n    ENABLED: true\n    MIN_SIZES: (400, 500, 600)\n    FLIP: true\n",
     "rcnn.yaml", "test-time-augmentation", "on"),
    ("nnunet-disable-tta", "nnUNetv2_predict -i in -o out -d 2 -c 3d_fullres --disable_tta\n", "run.sh",
     "test-time-augmentation", "off"),
    # MoCo main_moco.py --moco-t / --moco-m, HF CLIPConfig logit_scale_init_value, DINO --momentum_teacher
    ("moco-t", "python main_moco.py -a resnet50 --lr 0.03 --batch-size 256 --mlp --moco-t 0.2 --aug-plus --cos\n",
     "run.sh", "contrastive-temperature", "on"),
    ("hf-clip-logit-scale", '{"model_type": "clip", "logit_scale_init_value": 2.6592, "projection_dim": 512}\n',
     "config.json", "contrastive-temperature", "on"),
    ("solo-learn-mocov2plus-temperature", "method: mocov2plus\nmethod_kwargs:\n  queue_size: 32768\n  temperature: 0.2\n"
     "momentum:\n  base_tau: 0.99\n  final_tau: 0.999\n", "mocov2plus.yaml", "contrastive-temperature", "on"),
    ("solo-learn-byol-base-tau", "method: byol\nmomentum:\n  base_tau: 0.99\n  final_tau: 1.0\n", "byol.yaml",
     "momentum-encoder", "on"),
    ("moco-m", "python main_moco.py -a resnet50 --moco-m 0.999 --moco-k 65536\n", "run.sh", "momentum-encoder", "on"),
    ("dino-momentum-teacher", "python main_dino.py --arch vit_small --momentum_teacher 0.996 --teacher_temp 0.04\n",
     "run.sh", "momentum-encoder", "on"),
    # MAE main_pretrain.py --mask_ratio, HF ViTMAEConfig mask_ratio
    ("mae-mask-ratio", "python main_pretrain.py --model mae_vit_large_patch16 --mask_ratio 0.75 --norm_pix_loss\n",
     "run.sh", "mae-mask-ratio", "on"),
    ("hf-vitmae-mask-ratio", '{"model_type": "vit_mae", "mask_ratio": 0.75, "norm_pix_loss": false}\n',
     "config.json", "mae-mask-ratio", "on"),
]

# (case id, text, filename, trick that must not be detected at all)
NEGATIVES = [
    # ultralytics segmentation mask_ratio is a mask downsample ratio, not a masking fraction
    ("ultralytics-seg-mask-ratio", "lr0: 0.01\nlrf: 0.01\nmosaic: 1.0\nmask_ratio: 4\noverlap_mask: true\n",
     "hyp.yaml", "mae-mask-ratio"),
    # a uniform scalar class_weight (mmdet DETR loss_cls) is not class weighting
    ("mmdet-detr-scalar-class-weight", "model = dict(bbox_head=dict(loss_cls=dict(type='CrossEntropyLoss',"
     " bg_cls_weight=0.1, use_sigmoid=False, loss_weight=1.0, class_weight=1.0)))\n", "detr.py",
     "class-weighted-loss"),
    # SyncBN is a trained normalization, not frozen BN, and not GroupNorm
    ("detectron2-syncbn", "MODEL:\n  RESNETS:\n    NORM: \"SyncBN\"\n", "rcnn.yaml", "freeze-batchnorm-statistics"),
    ("detectron2-syncbn-not-gn", "MODEL:\n  RESNETS:\n    NORM: \"SyncBN\"\n", "rcnn.yaml", "group-norm"),
    # a quality focal / CE loss is not Dice; CrossEntropyLoss is not focal
    ("mmseg-ce-not-dice", "model = dict(decode_head=dict(loss_decode=dict(type='CrossEntropyLoss',"
     " loss_weight=1.0)))\n", "seg.py", "dice-loss"),
    ("mmseg-ce-not-focal", "model = dict(decode_head=dict(loss_decode=dict(type='CrossEntropyLoss',"
     " loss_weight=1.0)))\n", "seg.py", "focal-loss"),
    # the plain detectron2 TrainingSampler is not class-balanced
    ("detectron2-training-sampler", "DATALOADER:\n  SAMPLER_TRAIN: \"TrainingSampler\"\n", "rcnn.yaml",
     "class-balanced-sampling"),
    # a generation temperature (TRL) and a generic momentum (SGD) are not contrastive / momentum-encoder keys
    ("trl-generation-temperature", "output_dir: out\nper_device_train_batch_size: 4\ntemperature: 0.9\nbeta: 0.1\n",
     "grpo.yaml", "contrastive-temperature"),
    ("sgd-momentum-not-encoder", "optimizer:\n  name: sgd\n  momentum: 0.9\n  lr: 0.1\n", "cfg.yaml",
     "momentum-encoder"),
    # timm --aug-splits / randaugment --aa are not ADA; --clip-mode norm is plain clipping
    ("timm-aa-not-ada", "./distributed_train.sh 8 /imagenet --model resnet50 --aa rand-m9-mstd0.5 --aug-splits 3\n",
     "run.sh", "adaptive-discriminator-augmentation"),
    # Flux guidance_scale (a distilled guidance embedding) is not read as classifier-free guidance
    ("flux-guidance-scale", "accelerate launch train_dreambooth_lora_flux.py --guidance_scale=3.5 "
     "--mixed_precision=bf16\n", "run.sh", "classifier-free-guidance"),
    # a single shared learning rate is not a two time-scale rule
    ("single-lr-gan", "python train.py --dataset cifar10 --lr 2e-4 --beta1 0.5\n", "run.sh",
     "two-timescale-update-rule"),
    # equal G and D learning rates are not two time-scales (no off form: `off` tests cannot compare two keys)
    ("biggan-equal-lr", "python train.py --dataset I128_hdf5 --G_lr 2e-4 --D_lr 2e-4 --num_D_steps 2\n", "run.sh",
     "two-timescale-update-rule"),
    ("wgan-lrd-lrg-equal", "python main.py --dataset lsun --dataroot lsun --lrD 5e-5 --lrG 5e-5 --Diters 5\n",
     "run.sh", "two-timescale-update-rule"),
    # mmdet 3.x configs define tta_model for `tools/test.py --tta`; defining it does not use it
    ("mmdet-tta-model-defined", "tta_model = dict(type='DetTTAModel', tta_cfg=dict(nms=dict(type='nms',"
     " iou_threshold=0.6), max_per_img=100))\n", "rtmdet.py", "test-time-augmentation"),
    # a segmentation model (Segment Anything) as `model: sam` is not the SAM optimizer
    ("segment-anything-model", "model:\n  name: sam\n  checkpoint: sam_vit_h.pth\noptimizer:\n  name: adamw\n",
     "cfg.yaml", "sam"),
    # an orthogonal init is not Glorot
    ("biggan-ortho-init", "python train.py --G_init ortho --D_init ortho --G_lr 1e-4 --D_lr 1e-4\n", "run.sh",
     "glorot-init"),
    # the linear DDPM schedule is not the cosine / shifted choice
    ("ldm-linear-schedule", "model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n"
     "    linear_start: 0.0015\n    linear_end: 0.0195\n", "ldm.yaml", "diffusion-noise-schedule"),
]


def _tricks(text: str, filename: str) -> dict[str, dict]:
    return {t["id"]: t for t in check_text(text, filename=filename)["tricks"]}


@pytest.mark.parametrize(("text", "filename", "trick", "state"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_detects_trick_and_state(text: str, filename: str, trick: str, state: str) -> None:
    got = _tricks(text, filename)
    assert trick in got, f"{trick} not detected; got {sorted(got)}"
    assert got[trick]["state"] == state and got[trick]["source"] == "explicit"


@pytest.mark.parametrize(("text", "filename", "trick"), [c[1:] for c in NEGATIVES], ids=[c[0] for c in NEGATIVES])
def test_look_alike_does_not_detect(text: str, filename: str, trick: str) -> None:
    assert trick not in _tricks(text, filename)


def test_every_entry_of_this_file_has_an_on_case() -> None:
    ids = {"mosaic-augmentation", "min-snr-weighting", "offset-noise", "v-prediction", "prior-preservation-loss",
           "classifier-free-guidance", "rectified-flow-timestep-sampling", "diffusion-noise-schedule",
           "adaptive-discriminator-augmentation", "differentiable-augmentation", "two-timescale-update-rule",
           "focal-loss", "class-weighted-loss", "dice-loss", "ohem", "class-balanced-sampling",
           "freeze-batchnorm-statistics", "group-norm", "layerscale", "zero-init-residual", "channels-last",
           "cudnn-benchmark", "sam", "swa", "lookahead", "adaptive-gradient-clipping", "glorot-init",
           "progressive-resizing", "test-time-augmentation", "contrastive-temperature", "momentum-encoder",
           "mae-mask-ratio"}
    assert ids <= {c[3] for c in CASES if c[4] == "on"}


def test_mosaic_kept_to_the_last_epoch_is_reported_with_its_claim() -> None:
    res = check_text("lr0: 0.01\nlrf: 0.01\nmosaic: 1.0\nclose_mosaic: 0\n", filename="hyp.yaml")
    found = [f for f in res["findings"] if f["trick"] == "mosaic-augmentation"]
    assert found and [c["number"] for c in found[0]["claims"]] == [2] and found[0]["line"] == 4
    res = check_text("lr0: 0.01\nlrf: 0.01\nmosaic: 1.0\nclose_mosaic: 10\n", filename="hyp.yaml")
    assert not [f for f in res["findings"] if f["trick"] == "mosaic-augmentation"]
