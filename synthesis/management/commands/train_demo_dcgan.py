import json
import platform
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from synthesis.services.demo_gan import (
    CARD_DATA_NAME,
    DEMO_GAN_CONFIG,
    DEMO_GAN_DIR,
    DEMO_GAN_EVALUATION,
    WEIGHTS_NAME,
    demo_gan_records,
    file_sha256,
)


class Command(BaseCommand):
    help = (
        "Rebuild the demo's shipped DCGAN from the demo set (no database): writes model.pt and "
        "model.json into --out. Run it under `nice` with OMP_NUM_THREADS=1 on a shared machine."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(DEMO_GAN_DIR))
        parser.add_argument("--steps", type=int, default=DEMO_GAN_CONFIG["steps"])
        parser.add_argument("--skip-evaluation", action="store_true")

    def handle(self, *args, **opts):
        import torch

        from synthesis.ml.dcgan import generation
        from synthesis.ml.dcgan.config import GanConfig
        from synthesis.ml.dcgan.training import train_gan
        from synthesis.services.gan_evaluation import evaluation_budget, gan_evaluate

        if opts["steps"] < 1:
            raise CommandError(gettext("--steps must be a positive number."))
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        config = GanConfig.from_dict({**DEMO_GAN_CONFIG, "steps": opts["steps"]})
        started = time.monotonic()
        records = demo_gan_records(image_size=config.image_size, seed=config.seed)
        self.stdout.write(f"{len(records)} training records in {time.monotonic() - started:.0f} s")

        def progress(event):
            if "loss_d" in event and event["step"] % 100 == 0:
                self.stdout.write(
                    f"step {event['step']}/{config.steps} loss_d {event['loss_d']:.3f} "
                    f"loss_g {event['loss_g']:.3f} {event['images_per_s']:.0f} img/s"
                )

        trained = train_gan(records, config, device="cpu", progress=progress)
        train_wall = time.monotonic() - started
        metrics = {}
        if not opts["skip_evaluation"]:
            budget = evaluation_budget(DEMO_GAN_EVALUATION, steps=config.steps)
            metrics = gan_evaluate(records=records, trained=trained, device="cpu", budget=budget)
            self.stdout.write(metrics["side_by_side"])
        generation.save(trained, out / WEIGHTS_NAME)
        card = {
            "version": "demo-dcgan-1",
            "file_sha256": file_sha256(out / WEIGHTS_NAME),
            "weights_sha256": trained.weights_digest(),
            "config": config.as_dict(),
            "data": {
                "description": (
                    "the 35 demo images (HAM10000) at their estimated Fitzpatrick type, and "
                    "melanin tone transfers of each to the five other types (not reviewed)"
                ),
                "n_real": 35,
                "n_synthetic": len(records) - 35,
                "licence": "CC-BY-NC-4.0",
                "fingerprint": trained.data_fingerprint,
            },
            "metrics": metrics,
            "wall_seconds": round(time.monotonic() - started, 1),
            "train_seconds": round(train_wall, 1),
            "device": "cpu",
            "torch": torch.__version__,
            "machine": platform.machine(),
            "command": (
                "OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python manage.py train_demo_dcgan "
                f"--steps {config.steps}"
            ),
        }
        (out / CARD_DATA_NAME).write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
        self.stdout.write(f"{WEIGHTS_NAME}: sha256 {card['file_sha256']}")
