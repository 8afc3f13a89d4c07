"""``ailurus train``: a head on cached features of a snapshot, evaluated on held-out sites
beside the live model, exported as a Triton model folder."""

import argparse
import json
import sys
from pathlib import Path

from ailurus_common.domain import Group
from ailurus_ml.cli.blobs import with_snapshots
from ailurus_ml.cli.output import EXIT_OK
from ailurus_ml.config import MlSettings, get_settings
from ailurus_ml.export import write_model_folder
from ailurus_ml.split import leave_one_site_out, split_by_fraction, split_by_sites
from ailurus_ml.training import METHODS, Trainer, TrainOptions, mean_of, model_name_for, summary_of, write_evaluation

DEFAULT_HOLDOUT_FRACTION = 0.2
LOSO_KEYS = ("top1", "top1_seen", "macro_recall", "macro_recall_seen", "group_top1", "live_group_top1",
             "group_top1_seen", "live_group_top1_seen")


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("train", help="train a model on a dataset snapshot, evaluated on held-out sites")
    parser.add_argument("--dataset", required=True, help="snapshot id (snapshots/<id>.json in the datasets container)")
    holdout = parser.add_mutually_exclusive_group()
    holdout.add_argument("--holdout-sites", help="comma-separated sites to test on")
    holdout.add_argument("--holdout-fraction", type=float,
                         help=f"hold out whole sites, largest first, until this share (default {DEFAULT_HOLDOUT_FRACTION})")
    holdout.add_argument("--leave-one-site-out", action="store_true", help="one fold per site; reports the mean")
    parser.add_argument("--trials", type=int, default=20, help="optuna trials (0: default hyper-parameters)")
    parser.add_argument("--method", choices=METHODS, default="head")
    parser.add_argument("--seed", type=int, default=None, help="default ML_SEED")
    parser.add_argument("--species-group", choices=[g.value for g in Group if g is not Group.BLANK],
                        default=Group.MAMMAL.value, help="the taxonomy group of the dataset's species labels")
    parser.add_argument("--out", type=Path, default=None, help="where the model folder goes (default ML_MODELS_DIR)")
    parser.add_argument("--name", default=None, help="model name (default ailurus_<dataset name>)")
    parser.add_argument("--no-register", action="store_true", help="write the model folder only (no registry version)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(run=run)


def _images_loader(settings: MlSettings):
    def load(sha256s: list[str]) -> dict[str, bytes]:
        return with_snapshots(settings, lambda snapshots: snapshots.get_images(sha256s))

    return load


def registry_metrics(report: dict) -> dict:
    """What the registry keeps of an evaluation: the promotion gate's figures compared through
    taxonomy groups (the live model has other labels), the species figures, and all of it nested."""
    species, ours, live = report["trained"]["species"], report["trained"]["groups"], report["live"]["groups"]
    return {
        "macro_recall": ours["macro_recall"], "live_macro_recall": live["macro_recall"],
        "red_panda_recall": species["red_panda_recall"], "live_red_panda_recall": live["red_panda_recall"],
        "group_top1": ours["top1"], "live_group_top1": live["top1"],
        **{f"species_{key}": species[key] for key in ("top1", "top3", "top1_seen", "macro_recall", "macro_recall_seen",
                                                     "ece")},
        "evaluation": report,
    }


def _register(settings: MlSettings, folder: Path, name: str, report: dict, training: dict,
              evaluation: dict[str, str]) -> int:
    """A new registry version of the trained folder; returns its number."""
    from ailurus_ml.registry import Registry  # mlflow takes a second to import: only when registering

    params = {"method": training["method"], "seed": training["seed"], "extractor": training["extractor"],
              "unknown_threshold": training["unknown_threshold"], "train_sites": ",".join(training["train_sites"]),
              "test_sites": ",".join(training["test_sites"]), **training["params"]}
    plots = [Path(path) for key, path in evaluation.items() if key.startswith("confusion")]
    info = Registry.from_settings(settings).register(folder, name=name, metrics=registry_metrics(report), params=params,
                                                     dataset_id=training["dataset"], plots=plots)
    return int(info.version)


def train(args: argparse.Namespace, settings: MlSettings) -> dict:
    """Everything ``ailurus train`` does; returns the JSON document it prints."""
    manifest = with_snapshots(settings, lambda snapshots: snapshots.load(args.dataset))
    seed = settings.seed if args.seed is None else args.seed
    options = TrainOptions(trials=args.trials, seed=seed, method=args.method, species_group=Group(args.species_group),
                           progress=not args.json or sys.stderr.isatty())
    trainer = Trainer(manifest, _images_loader(settings), settings, options)
    doc: dict = {"dataset": manifest.id, "method": args.method, "seed": seed}
    if args.leave_one_site_out:
        folds = [trainer.fit(split).report for split in leave_one_site_out(manifest.items)]
        summaries = [summary_of(r) for r in folds]
        doc.update(folds=summaries, mean={k: mean_of(summaries, k) for k in LOSO_KEYS})
    else:
        if args.holdout_sites:
            split = split_by_sites(manifest.items, [s.strip() for s in args.holdout_sites.split(",") if s.strip()])
        else:
            split = split_by_fraction(manifest.items, args.holdout_fraction or DEFAULT_HOLDOUT_FRACTION)
        fold = trainer.fit(split)
        name = args.name or model_name_for(manifest.name)
        training = {"dataset": manifest.id, "method": args.method, "seed": seed, "params": fold.report["params"],
                    "unknown_threshold": fold.unknown_threshold, "extractor": trainer.extractor.digest,
                    "train_sites": split.train_sites, "test_sites": split.test_sites,
                    "summary": summary_of(fold.report)}
        folder = write_model_folder(args.out or settings.models_dir, name, head=fold.head,
                                    unknown_threshold=fold.unknown_threshold, species_group=options.species_group,
                                    dataset_id=manifest.id, live_config=settings.live_model_dir / "config.pbtxt",
                                    training=training)
        evaluation = write_evaluation(folder / "evaluation", fold.report)
        version = None if args.no_register else _register(settings, folder, name, fold.report, training, evaluation)
        doc.update(model={"name": name, "version": version, "folder": str(folder)}, summary=summary_of(fold.report),
                   evaluation=evaluation, report=fold.report)
    doc["timing"] = trainer.timer.report()
    return doc


def _fmt(value: object) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _print_text(doc: dict) -> None:
    if "folds" in doc:
        print(f"leave-one-site-out on {doc['dataset']}:")
        for fold in doc["folds"]:
            print("  test " + ",".join(fold["test_sites"]) + ": " + "  ".join(f"{k} {_fmt(fold[k])}" for k in LOSO_KEYS))
        print("  mean: " + "  ".join(f"{k} {_fmt(v)}" for k, v in doc["mean"].items()))
    else:
        s = doc["summary"]
        print(f"dataset {doc['dataset']}, test sites {','.join(s['test_sites'])} ({s['test_images']} images)")
        for key, value in s.items():
            if key not in ("test_sites", "test_images"):
                print(f"  {key}: {_fmt(value)}")
        registered = "not registered" if doc["model"]["version"] is None else f"version {doc['model']['version']}"
        print(f"model {doc['model']['name']} {registered}: {doc['model']['folder']}")
        print(f"confusion matrix: {doc['evaluation']['confusion_species']}")
    for stage, t in doc["timing"].items():
        print(f"  {stage}: {t['seconds']} s for {t['count']} {t['unit']} ({_fmt(t['seconds_per_1000'])} s per 1000)")


def run(args: argparse.Namespace) -> int:
    doc = train(args, get_settings())  # an MlError goes to main's one handler (exit 1)
    if args.json:
        print(json.dumps(doc, default=str))
    else:
        _print_text(doc)
    return EXIT_OK
