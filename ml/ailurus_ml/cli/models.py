"""``ailurus models ...``: registered models, their versions, aliases and the promotion gate.

``--json`` prints exactly one JSON document on stdout (an ``{"error": {code, message}}`` one
on failure); MLflow's own logging goes to stderr. Exit codes: the one table of
``ailurus_ml.cli.output`` (0 done, 1 not done: a failed gate, an unknown model, version or
alias, a switch that failed; 2 a usage error).
"""

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ailurus_ml.cli.blobs import with_blobs
from ailurus_ml.cli.output import EXIT_FAILURE, EXIT_OK
from ailurus_ml.config import get_settings
from ailurus_ml.gate import GateRule, judge_logged

_REF = re.compile(r"^(?P<name>[^:@\s]+)(?::(?P<version>\d+)|@(?P<alias>[^:@\s]+))?$")


@dataclass(frozen=True)
class ModelRef:
    """``NAME``, ``NAME:VERSION`` or ``NAME@ALIAS`` from the command line."""

    name: str
    version: int | None = None
    alias: str | None = None


def parse_ref(text: str, *, need_version: bool = False) -> ModelRef:
    """Parse a model reference.

    Raises:
        argparse.ArgumentTypeError: not a reference (or no version where one is needed).
    """
    match = _REF.match(text)
    if not match or (need_version and match["version"] is None):
        form = "NAME:VERSION" if need_version else "NAME[:VERSION|@ALIAS]"
        raise argparse.ArgumentTypeError(f"{text!r} is not {form}")
    return ModelRef(match["name"], int(match["version"]) if match["version"] else None, match["alias"])


def _registry() -> Any:
    # Imported here: mlflow takes over a second to import and only these commands need it.
    from ailurus_ml.registry import Registry

    return Registry.from_settings(get_settings())


def _emit(args: argparse.Namespace, document: Any, text: str) -> None:
    if args.json:
        json.dump(document, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def _format_metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _version_text(info: Any) -> str:
    lines = [f"{info.name} v{info.version}" + (f"  @{', @'.join(info.aliases)}" if info.aliases else ""),
             f"  status        {info.status}",
             f"  created       {info.created_at.isoformat(timespec='seconds')}",
             f"  dataset       {info.dataset_id or '-'}",
             f"  code version  {info.code_version or '-'}",
             f"  labels        {info.label_count if info.label_count is not None else '-'}",
             f"  run           {info.run_id or '-'}",
             f"  source        {info.source}"]
    if info.metrics:
        lines.append("  metrics")
        lines += [f"    {key:<28} {value:.4f}" for key, value in sorted(info.metrics.items())]
    if info.params:
        lines.append("  params")
        lines += [f"    {key:<28} {value}" for key, value in sorted(info.params.items())]
    if info.artifacts:
        lines.append("  artifacts")
        lines += [f"    {artifact.path} ({artifact.size_bytes} bytes)" for artifact in info.artifacts]
    return "\n".join(lines)


def _run_list(args: argparse.Namespace) -> int:
    models = _registry().list()
    rows = [f"{'MODEL':<24} {'VERSION':>7}  {'ALIASES':<22} {'DATASET':<20} {'MACRO_RECALL':>12} {'RED_PANDA_RECALL':>16}"]
    for model in models:
        for version in model.versions:
            rows.append(f"{model.name:<24} {version.version:>7}  {','.join(version.aliases) or '-':<22} "
                        f"{version.dataset_id or '-':<20} {_format_metric(version.metrics.get('macro_recall')):>12} "
                        f"{_format_metric(version.metrics.get('red_panda_recall')):>16}")
    text = "\n".join(rows) if models else "no registered models"
    _emit(args, {"models": [model.model_dump(mode="json") for model in models]}, text)
    return EXIT_OK


def _run_show(args: argparse.Namespace) -> int:
    ref: ModelRef = args.ref
    info = _registry().show(ref.name, version=ref.version, alias=ref.alias)
    _emit(args, info.model_dump(mode="json"), _version_text(info))
    return EXIT_OK


def _run_alias(args: argparse.Namespace) -> int:
    ref: ModelRef = args.ref
    info = _registry().set_alias(ref.name, args.alias, ref.version)
    _emit(args, info.model_dump(mode="json"), f"{ref.name}@{args.alias} -> v{info.version}")
    return EXIT_OK


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    from ailurus_ml.registry import RegistryError

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RegistryError(f"cannot read the {what} file {path}: {error}") from error
    if not isinstance(document, dict):
        raise RegistryError(f"the {what} file {path} must hold a JSON object")
    return document


def _run_register(args: argparse.Namespace) -> int:
    metrics = _read_json_object(args.metrics, "metrics")
    params = _read_json_object(args.params, "params") if args.params else {}
    info = _registry().register(args.model_dir, name=args.name, metrics=metrics, params=params,
                                dataset_id=args.dataset, plots=args.plot, version_dir=args.version_dir)
    _emit(args, info.model_dump(mode="json"), f"registered {info.name} v{info.version} (run {info.run_id})")
    return EXIT_OK


def _run_gate(args: argparse.Namespace) -> int:
    ref: ModelRef = args.ref
    info = _registry().show(ref.name, version=ref.version, details=False)
    verdict = judge_logged(info.metrics, rule=GateRule.from_settings(get_settings()))
    lines = [f"{info.name} v{info.version}: gate {'PASSED' if verdict.passed else 'FAILED'}"]
    lines += _verdict_lines(verdict)
    _emit(args, {"name": info.name, "version": info.version, **verdict.to_dict()}, "\n".join(lines))
    return EXIT_OK if verdict.passed else EXIT_FAILURE


def _verdict_lines(verdict: Any) -> list[str]:
    lines = [f"  {'ok  ' if check.passed else 'FAIL' if check.passed is False else '-   '} {check.reason}"
             for check in verdict.checks]
    return lines + [f"  FAIL {reason}" for reason in verdict.reasons if not verdict.checks]


def _with_serving(work: Any) -> Any:
    """Run ``work(serving)`` on this deployment's ``Serving`` in an event loop of its own."""
    from ailurus_ml.serving import open_serving

    settings = get_settings()

    async def main(blobs: Any) -> Any:
        from ailurus_common.auth.service import ServiceTokens
        from ailurus_common.clients.ingest import IngestClient

        serving = open_serving(settings, blobs)
        # The switch is announced in ingest's outbox (with the service token the local key signs).
        ingest = None
        if settings.auth_mode != "local" or settings.auth_key_path.is_file():
            ingest = IngestClient(settings.ingest_url, timeout_s=settings.ingest_timeout_s,
                                  tokens=ServiceTokens(settings))
            serving.announce = lambda event: ingest.append_events([event])
        try:
            return await work(serving)
        finally:
            serving.close()
            if ingest is not None:
                await ingest.close()

    return with_blobs(settings, main, create=True)


def _switch_document(switch: Any, **extra: Any) -> dict[str, Any]:
    return {"old": str(switch.old), "new": str(switch.new), "old_unloaded": switch.unloaded, **extra}


def _run_promote(args: argparse.Namespace) -> int:
    from ailurus_ml.switching import GateRefused, promote_version

    ref: ModelRef = args.ref
    registry = _registry()
    rule = GateRule.from_settings(get_settings())
    try:
        promotion = _with_serving(lambda serving: promote_version(registry, serving, ref.name, ref.version, rule=rule,
                                                                  force=args.force))
    except GateRefused as refused:
        _emit(args, {"name": refused.name, "version": refused.version, "promoted": False, **refused.verdict.to_dict()},
              "\n".join([f"{refused.name} v{refused.version}: gate FAILED, not promoted (--force overrides)",
                          *_verdict_lines(refused.verdict)]))
        return EXIT_FAILURE
    switch = promotion.switch
    _emit(args, _switch_document(switch, promoted=True, forced=promotion.forced, gate=promotion.verdict.to_dict()),
          f"serving {switch.new} (was {switch.old})" + (", gate overridden" if promotion.forced else ""))
    return EXIT_OK


def _run_rollback(args: argparse.Namespace) -> int:
    from ailurus_ml.switching import rollback

    registry = _registry()
    switch = _with_serving(lambda serving: rollback(registry, serving))
    _emit(args, _switch_document(switch), f"serving {switch.new} (was {switch.old})")
    return EXIT_OK


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("models", help="registered models: list, show, alias, register, gate, promote, rollback")
    sub = parser.add_subparsers(dest="command", required=True)  # `ailurus models` alone: usage error

    def command(name: str, run: Any, help_text: str) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=help_text, description=help_text)
        child.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        child.set_defaults(run=run)  # errors: main's one handler (exit 1)
        return child

    command("list", _run_list, "every registered model with its versions, aliases and key metrics")

    show = command("show", _run_show, "one version (the newest when none is named) with its run")
    show.add_argument("ref", type=parse_ref, metavar="NAME[:VERSION|@ALIAS]")

    alias = command("alias", _run_alias, "point an alias (champion, challenger) at a version")
    alias.add_argument("ref", type=lambda text: parse_ref(text, need_version=True), metavar="NAME:VERSION")
    alias.add_argument("alias", help="e.g. champion or challenger")

    reg = command("register", _run_register, "register a Triton model folder as a new version")
    reg.add_argument("model_dir", type=Path, metavar="DIR", help="config.pbtxt, labels.txt, taxonomy.json, <v>/model.onnx")
    reg.add_argument("--name", required=True, help="registered model name = Triton model name")
    reg.add_argument("--metrics", type=Path, required=True, help="evaluation metrics JSON (nested values allowed)")
    reg.add_argument("--params", type=Path, help="training parameters JSON")
    reg.add_argument("--dataset", default="unknown", help="dataset snapshot id")
    reg.add_argument("--plot", type=Path, action="append", default=[], help="an image to keep with the version")
    reg.add_argument("--version-dir", help="the <v> folder holding model.onnx when there are several")

    promote = command("promote", _run_promote, "put a version live with zero downtime (the gate must pass)")
    promote.add_argument("ref", type=lambda text: parse_ref(text, need_version=True), metavar="NAME:VERSION")
    promote.add_argument("--force", action="store_true", help="promote although the gate fails")
    command("rollback", _run_rollback, "put back the model the live one replaced")

    gate = command("gate", _run_gate, "judge a version against the live model's metrics logged beside its own")
    gate.add_argument("ref", type=lambda text: parse_ref(text, need_version=True), metavar="NAME:VERSION")
