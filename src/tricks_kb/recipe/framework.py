"""What a framework default is: the Default and Framework records and the trick groups a default belongs to.

A group (optimizer, schedule, precision) holds tricks of which a run uses one: a config that names any
member, or sets one of the group's keys, has chosen for itself, so a framework's default in that group
does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OPTIMIZERS = ("adam", "adamw", "sgd-momentum", "adafactor", "lion", "rmsprop", "lamb", "lars", "muon", "shampoo",
              "soap", "sophia", "adagrad", "nadam", "radam", "adabelief", "adabound", "schedule-free")
SCHEDULES = ("cosine-decay", "linear-decay-to-zero", "step-decay", "inverse-sqrt-decay", "polynomial-decay",
             "one-cycle", "warm-restarts", "warmup-stable-decay", "reduce-lr-on-plateau", "cyclical-lr")
GROUPS = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES}
# A config that sets one of these keys has chosen for itself, even a value no entry names ("constant").
GROUP_KEYS = {"schedule": ("lr_scheduler_type", "lr_scheduler", "sched", "lr_scheduler.name", "scheduler.name",
                           "lr_decay_style",
                           "lr_scheduler._name", "lr_scheduler._component_", "scheduler._target_", "decay_type",
                           "lr_scheduler.decay_type", "SOLVER.LR_SCHEDULER_NAME", "lr_config.policy"),
              "optimizer": ("optim", "optimizer", "opt", "optimizer.name", "optimizer._name", "optimizer.type",
                            "optimizer._component_", "optimizer._target_", "optimizer.class_path",
                            "optimizer_type", "optim.optimizer"),
              "precision": ("precision",)}


@dataclass(frozen=True)
class Default:
    """A trick a framework turns on unless the config decides otherwise."""

    trick: str
    settings: dict[str, str] = field(default_factory=dict)  # default values as text
    group: str | None = None      # skipped when any trick of this group is explicit
    requires: str | None = None   # only when this trick is on (dynamic loss scaling needs fp16)
    state: str = "on"             # "off": the framework leaves it off (e.g. decays norms)
    when: tuple[str, str] | None = None  # (key, value glob): only when the config's key matches (open_clip ViT betas)
    unless: str | None = None     # a key that, written in the config, decides it (an explicit --beta2 0.999)


@dataclass(frozen=True)
class Framework:
    """A training framework: how to recognise it and the defaults it applies."""

    id: str
    name: str
    version: str
    source: str
    markers: tuple[tuple[str, str | None], ...]  # (key pattern, value glob or None)
    needs: int = 2                               # markers that must be present
    formats: tuple[str, ...] = ()
    parent: str | None = None                    # inherits the parent's defaults
    defaults: tuple[Default, ...] = ()
    remap: tuple[tuple[str, str], ...] = ()      # trick named in the config -> trick in effect
    decisive: tuple[tuple[str, str], ...] = ()   # (key, value glob): any one of these settles it
