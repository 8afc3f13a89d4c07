#!/bin/sh
# Mirrors the models/ blob container into the model repository that Triton (poll mode)
# and preprocess (labels.txt, taxonomy.json) read from an emptyDir.
#
#   model-sync.sh once   initial sync (init container: the pod starts with its models)
#   model-sync.sh loop   re-sync every MODEL_SYNC_INTERVAL_S (sidecar: new versions appear)
#
# azcopy logs in with the pod's workload identity (AZCOPY_AUTO_LOGIN_TYPE=WORKLOAD) and
# mirrors the container into a private staging directory. Only a complete, successful sync
# is published to the live repository, and a version appears there by one rename, so
# Triton's poller never sees a half-downloaded model file.
#
# Conventions of the models/ container (the publisher follows them):
# - a published version is immutable: new weights are a new version number;
# - removing a version folder rolls back: the folder leaves the live repository and
#   Triton's version policy (latest 1) serves the previous one at its next poll;
# - files beside the versions (config.pbtxt, labels.txt, taxonomy.json) are replaced
#   in place when their blob is newer.
set -eu

source_url="${MODEL_SYNC_SOURCE:?MODEL_SYNC_SOURCE is required}"
staging="${MODEL_SYNC_STAGING:-/model-staging}"
live="${MODEL_SYNC_TARGET:-/models}"
interval_s="${MODEL_SYNC_INTERVAL_S:-60}"
# azcopy --include-pattern, e.g. "*.txt;*.json;*.pbtxt" where only the labels are needed.
include="${MODEL_SYNC_INCLUDE:-}"

log() {
  printf '{"time": "%s", "logger": "model-sync", "message": "%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

is_version() {
  case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac
}

fetch() {
  mkdir -p "$staging" "$live"
  if [ -n "$include" ]; then
    azcopy sync "$source_url" "$staging" --recursive --delete-destination=true \
      --include-pattern "$include" --log-level=WARNING --output-level=essential
  else
    azcopy sync "$source_url" "$staging" --recursive --delete-destination=true \
      --log-level=WARNING --output-level=essential
  fi
  # Job plan files pile up under AZCOPY_JOB_PLAN_LOCATION on every run otherwise.
  azcopy jobs clean >/dev/null 2>&1 || true
}

publish_model() {
  model_dir="$1"
  model=$(basename "$model_dir")
  target="$live/$model"
  mkdir -p "$target"
  for file in "$model_dir"/*; do
    [ -f "$file" ] || continue
    name=$(basename "$file")
    # -nt is not POSIX, but dash, busybox ash and bash all have it.
    # shellcheck disable=SC3013
    if [ ! -e "$target/$name" ] || [ "$file" -nt "$target/$name" ]; then
      cp "$file" "$target/.incoming-$name"
      mv -f "$target/.incoming-$name" "$target/$name"
      log "updated $model/$name"
    fi
  done
  for version_dir in "$model_dir"/*/; do
    [ -d "$version_dir" ] || continue
    version=$(basename "$version_dir")
    is_version "$version" || continue
    [ -d "$target/$version" ] && continue
    # Triton ignores non-numeric folders, so the copy stays invisible until the rename.
    rm -rf "$target/.incoming-$version"
    cp -R "$version_dir" "$target/.incoming-$version"
    mv "$target/.incoming-$version" "$target/$version"
    log "published $model version $version"
  done
  for version_dir in "$target"/*/; do
    [ -d "$version_dir" ] || continue
    version=$(basename "$version_dir")
    is_version "$version" || continue
    if [ ! -d "$model_dir/$version" ]; then
      rm -rf "$version_dir"
      log "removed $model version $version (rollback)"
    fi
  done
}

publish() {
  for model_dir in "$staging"/*/; do
    [ -d "$model_dir" ] || continue
    publish_model "${model_dir%/}"
  done
  for target in "$live"/*/; do
    [ -d "$target" ] || continue
    model=$(basename "$target")
    if [ ! -d "$staging/$model" ]; then
      rm -rf "$target"
      log "removed model $model"
    fi
  done
}

case "${1:-}" in
  once)
    fetch
    publish
    log "initial sync done"
    ;;
  loop)
    # sleep in the background so SIGTERM ends the pod at once, not after the interval.
    trap 'exit 0' TERM INT
    while :; do
      sleep "$interval_s" &
      wait $!
      if fetch; then
        publish
      else
        log "sync failed; the live repository is unchanged, next try in ${interval_s}s"
      fi
    done
    ;;
  *)
    echo "usage: $0 once|loop" >&2
    exit 2
    ;;
esac
