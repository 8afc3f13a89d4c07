"""Metric names in PromQL expressions, and metric names a Prometheus target exports.

No PromQL parser ships as a Python package here, so the extractor works on the lexical
level, which is enough for names: a metric name is an identifier that is not a function
or aggregation (those are followed by ``(``), not a keyword, and not inside a string, a
label matcher ``{...}``, a range ``[...]`` or a grouping clause ``by (...)``.
"""

import re
from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

KEYWORDS = frozenset({
    "and", "or", "unless", "atan2",  # binary operators
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",  # modifiers
    "offset", "inf", "nan",
})

_COMMENT = re.compile(r"#[^\n]*")
_NAME_MATCHER = re.compile(r"""__name__\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
# Grafana's template variables: $var, ${var}, ${var:format}, [[var]].
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE)
_TOKEN = re.compile(r"""
    (?P<number>(?:\d+(?:ms|[smhdwy]))+          # a duration: 5m, 1h30m
             | 0[xX][0-9a-fA-F]+
             | (?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
""", re.VERBOSE)


def metric_names(expr: str) -> set[str]:
    """Every metric name an expression selects (Grafana variables allowed)."""
    text = _COMMENT.sub(" ", expr)
    names = {double or single for double, single in _NAME_MATCHER.findall(text)}
    text = _STRING.sub(" ", text)
    text = _GRAFANA_VARIABLE.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    while _RANGE.search(text):  # a subquery range may hold a nested one
        text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    for match in _TOKEN.finditer(text):
        ident = match.group("ident")
        if ident is None or ident.lower() in KEYWORDS:
            continue
        if text[match.end():].lstrip().startswith("("):  # a function or an aggregation
            continue
        names.add(ident)
    return names


def label_values_metric(query: str) -> str:
    """The series selector of a Grafana ``label_values(selector, label)`` variable query
    (the label is not a metric); any other query is returned as it is."""
    match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query, re.DOTALL)
    return match.group(1) if match else query


_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
}


def exported_names(families: Iterable[Metric]) -> set[str]:
    """Series names a prometheus_client registry's families expose, whether or not a labelled child exists yet (a
    labelled counter exports nothing until its first ``labels(...).inc()``)."""
    names: set[str] = set()
    for family in families:
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


_SAMPLE_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def exposition_names(text: str) -> set[str]:
    """Series names exactly as a text exposition (a /metrics page) writes them.

    Not via prometheus_client's parser: it renames a counter's samples to ``<name>_total``,
    but Prometheus stores what is on the wire (Triton's counters have no ``_total``).
    """
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and (match := _SAMPLE_NAME.match(line)):
            names.add(match.group())
    return names
