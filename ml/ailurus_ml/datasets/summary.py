"""What ``datasets list/show/import`` report about a snapshot: counts, never the items."""

from collections import Counter, defaultdict
from typing import Any

from ailurus_ml.manifest import DatasetManifest

NO_SITE = "(none)"


def summarise(manifest: DatasetManifest, *, with_problems: bool = False) -> dict[str, Any]:
    """Counts per class, per site, per site and class, and per problem code (JSON-ready).

    Args:
        manifest: the snapshot.
        with_problems: also list every problem (source, code, message).
    """
    per_site_class: dict[str, Counter[str]] = defaultdict(Counter)
    for item in manifest.items:
        per_site_class[item.site or NO_SITE][item.label] += 1
    summary: dict[str, Any] = {
        "id": manifest.id,
        "name": manifest.name,
        "created_at": manifest.created_at.isoformat(),
        "source_format": str(manifest.source_format),
        "images": len(manifest.items),
        "classes": manifest.classes,
        "per_class": dict(sorted(Counter(item.label for item in manifest.items).items())),
        "per_site": {site: sum(counts.values()) for site, counts in sorted(per_site_class.items())},
        "per_site_class": {site: dict(sorted(counts.items())) for site, counts in sorted(per_site_class.items())},
        "problems": len(manifest.problems),
        "problems_per_code": dict(sorted(Counter(str(problem.code) for problem in manifest.problems).items())),
        "label_map": manifest.label_map,
    }
    if with_problems:
        summary["problem_list"] = [problem.model_dump(mode="json") for problem in manifest.problems]
    return summary
