"""``ailurus jobs submit|show|cancel``: batch jobs through the gateway's API (the same
routes, auth and checks as any partner or uploader), with a progress bar while one runs.

The gateway is ``--url`` (``AILURUS_URL``, default the local stack's), the bearer token
``AILURUS_TOKEN`` (``make token ROLE=uploader`` locally; an Entra token in production)."""

import argparse
import os
import time
from typing import Any

import httpx

from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_ml.cli.output import EXIT_FAILURE, EXIT_OK, emit_json, progress_bar, table

DEFAULT_URL = "http://127.0.0.1:8080"
FINISHED = ("done", "failed", "cancelled")


class GatewayRefused(AilurusError):
    """The gateway answered with an error (its code and message are passed on)."""


def _client(args: argparse.Namespace) -> httpx.Client:
    token = os.environ.get("AILURUS_TOKEN")
    if not token:
        raise GatewayRefused("set AILURUS_TOKEN to a bearer token (locally: make token ROLE=uploader)",
                             code=ErrorCode.MISSING_TOKEN)
    return httpx.Client(base_url=f"{args.url.rstrip('/')}/api/v1", timeout=args.timeout_s,
                        headers={"Authorization": f"Bearer {token}"})


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict:
    try:
        answer = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise GatewayRefused(f"gateway unreachable at {client.base_url}: {type(exc).__name__}",
                             code=ErrorCode.UPSTREAM_UNAVAILABLE) from None
    body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    if answer.status_code >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise GatewayRefused(error.get("message", f"HTTP {answer.status_code}"),
                             code=ErrorCode.parse(error.get("code")))
    return body


def _summary(job: dict) -> str:
    rate = f"{job['throughput_images_s']:.1f}/s" if job.get("throughput_images_s") else "-"
    eta = f"{job['eta_s']:.0f} s" if job.get("eta_s") is not None else "-"
    return table(["job", "status", "done", "failed", "pending", "total", "rate", "eta"],
                 [[job["id"], job["status"], job["done"], job["failed"], job["pending"], job["total"], rate, eta]])


def _follow(client: httpx.Client, job: dict, *, as_json: bool, poll_s: float) -> dict:
    """Poll the job until it finishes, advancing a bar by the items finished."""
    with progress_bar(job["total"], description=f"job {job['id'][:8]}", enabled=not as_json) as advance:
        seen = job["done"] + job["failed"]
        advance(seen)
        while job["status"] not in FINISHED:
            time.sleep(poll_s)
            job = _call(client, "GET", f"/jobs/{job['id']}")
            finished = job["done"] + job["failed"]
            advance(finished - seen)
            seen = finished
    return job


def _done(job: dict, *, as_json: bool) -> int:
    if as_json:
        emit_json(job)
    else:
        print(_summary(job))
    return EXIT_FAILURE if job["status"] == "failed" else EXIT_OK


def _request(args: argparse.Namespace, method: str, path: str, *, follow: bool = False, **kwargs: Any) -> int:
    """One call about a job, then (``follow``, with ``--wait``) its progress to the end."""
    with _client(args) as client:
        job = _call(client, method, path, **kwargs)
        if follow and args.wait:
            job = _follow(client, job, as_json=args.json, poll_s=args.poll_s)
    return _done(job, as_json=args.json)


def _submission(args: argparse.Namespace) -> dict:
    """The job body for exactly one of ``--container``, ``--dataset``, ``--reclassify``."""
    given = [flag for flag, value in (("--container", args.container), ("--dataset", args.dataset),
                                      ("--reclassify", args.reclassify)) if value]
    if len(given) != 1:
        raise GatewayRefused("give exactly one source: --container, --dataset or --reclassify",
                             code=ErrorCode.INVALID_REQUEST)
    if args.reclassify:
        return {"source": {"reclassify": {"model": args.reclassify, "trap_id": args.trap}}}
    if not args.trap:
        raise GatewayRefused(f"{given[0]} needs --trap (the trap its images become media of)",
                             code=ErrorCode.INVALID_REQUEST)
    if args.dataset:
        return {"source": {"dataset": args.dataset}, "trap_id": args.trap}
    return {"source": {"container": args.container, "prefix": args.prefix}, "trap_id": args.trap}


def _run_submit(args: argparse.Namespace) -> int:
    return _request(args, "POST", "/jobs", follow=True, json=_submission(args))


def _run_show(args: argparse.Namespace) -> int:
    return _request(args, "GET", f"/jobs/{args.job_id}", follow=True)


def _run_cancel(args: argparse.Namespace) -> int:
    return _request(args, "DELETE", f"/jobs/{args.job_id}")


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("jobs", help="batch jobs through the gateway: submit, show, cancel")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Any, help_text: str) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=help_text, description=help_text)
        child.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        child.add_argument("--url", default=os.environ.get("AILURUS_URL", DEFAULT_URL), help="the gateway")
        child.add_argument("--timeout-s", type=float, default=60.0, help="per request")
        child.set_defaults(run=run)
        return child

    submit = command("submit", _run_submit, "classify the images under a blob container/prefix or of a dataset "
                                            "snapshot into a trap, or re-classify the archive with the live model")
    submit.add_argument("--container", help="a container open to jobs (GATEWAY_JOB_CONTAINERS)")
    submit.add_argument("--prefix", default="", help="with --container: only blobs whose names start with this")
    submit.add_argument("--dataset", help="a dataset snapshot id (ailurus datasets list)")
    submit.add_argument("--reclassify", metavar="NAME:VERSION",
                        help="re-run the archive through this model, which must be the live one")
    submit.add_argument("--trap", help="the trap the images become media of (with --reclassify: only its media)")
    show = command("show", _run_show, "a job's status and counts")
    show.add_argument("job_id", metavar="JOB_ID")
    for child in (submit, show):
        child.add_argument("--wait", action="store_true", help="follow it to the end with a progress bar")
        child.add_argument("--poll-s", type=float, default=1.0, help="how often --wait asks")
    cancel = command("cancel", _run_cancel, "cancel a job (what is left is not worked on)")
    cancel.add_argument("job_id", metavar="JOB_ID")
