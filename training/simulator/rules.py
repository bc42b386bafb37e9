"""The official Falco rulesets, read without a YAML library, and Falco's way of printing an alert.

The simulator may only emit rules that exist in the vendored rulesets, with their exact name,
priority, tags and output fields, so everything about a rule comes from here. Load order is kept
because Falco's default `rule_matching: first` makes it decide which rule reports a syscall that
several rules match; the scenario code chooses its rules with that in mind.
"""

import os
import re
from dataclasses import dataclass

RULE_FILES = ("falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml")

# Searched in order when --rules-dir is not given.
DEFAULT_RULE_DIRS = (
    os.environ.get("FALCO_RULES_DIR", ""),
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "vendor", "falco-rules"),
)

# Falco prints priorities capitalised this way, and falcosidekick forwards them unchanged.
PRIORITY_NAMES = {
    "EMERGENCY": "Emergency", "ALERT": "Alert", "CRITICAL": "Critical", "ERROR": "Error",
    "WARNING": "Warning", "NOTICE": "Notice", "INFO": "Informational",
    "INFORMATIONAL": "Informational", "DEBUG": "Debug",
}

FIELD_RE = re.compile(r"%([A-Za-z0-9_.]+(?:\[[^\]]*\])?)")

# Fields the container plugin marks as suggested; Falco's default `append_output:
# suggested_output: true` appends them to every syscall alert in this order.
SUGGESTED_FIELDS = (
    ("container_id", "container.id"),
    ("container_name", "container.name"),
    ("container_image_repository", "container.image.repository"),
    ("container_image_tag", "container.image.tag"),
    ("k8s_pod_name", "k8s.pod.name"),
    ("k8s_ns_name", "k8s.ns.name"),
)
K8S_FIELDS = ("k8s.pod.name", "k8s.ns.name")


@dataclass(frozen=True)
class Rule:
    name: str
    priority: str          # as falcosidekick spells it, e.g. "Informational"
    tags: tuple
    output: str
    source: str
    enabled: bool
    file: str
    order: int             # load order over all files

    @property
    def fields(self):
        """Field names referenced by the output format, first occurrence first."""
        seen = []
        for name in FIELD_RE.findall(self.output):
            if name not in seen:
                seen.append(name)
        return tuple(seen)


def find_rules_dir(explicit=None):
    """Return the first directory that holds the stable ruleset."""
    for candidate in (explicit,) + DEFAULT_RULE_DIRS:
        if candidate and os.path.isfile(os.path.join(candidate, RULE_FILES[0])):
            return os.path.abspath(candidate)
    raise FileNotFoundError("falco_rules.yaml not found; pass --rules-dir or set FALCO_RULES_DIR")


def _top_level_items(text):
    """Split a rules file into its top-level list items, each a list of lines."""
    items, current = [], None
    for line in text.splitlines():
        if line.startswith("- "):
            current = [line[2:]]
            items.append(current)
        elif current is not None and (line.startswith(" ") or not line.strip()):
            current.append(line)
        elif line.strip() and not line.startswith("#"):
            current = None
    return items


def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parse_item(lines):
    """Parse one list item into {key: raw value}; enough YAML for the rules files."""
    keyed = [(0, lines[0])] + [(len(l) - len(l.lstrip()), l.strip()) for l in lines[1:]]
    values, key = {}, None
    for indent, body in keyed:
        if not body or body.startswith("#"):
            continue
        match = re.match(r"^([A-Za-z_]+):\s*(.*)$", body)
        if match and indent <= 2:
            key = match.group(1)
            values[key] = [match.group(2)]
        elif key is not None:
            values[key].append(body)
    return values


def _join(parts):
    """Join a block or plain multi-line scalar (`>`, `|` or continuation lines) into one string."""
    head, rest = parts[0].strip(), [p for p in parts[1:] if not p.startswith("#")]
    if head in (">", ">-", "|", "|-"):
        return " ".join(rest).strip()
    return _scalar(" ".join([head] + rest).strip())


def _flow_list(text):
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return tuple(_scalar(t) for t in text.split(",") if t.strip())


def load_rules(rules_dir=None):
    """Map rule name to Rule for every rule defined in the vendored files, in load order."""
    directory = find_rules_dir(rules_dir)
    rules, order = {}, 0
    for filename in RULE_FILES:
        path = os.path.join(directory, filename)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for lines in _top_level_items(text):
            item = _parse_item(lines)
            if "rule" not in item or "override" in item or _join(item.get("append", ["false"])) == "true":
                continue
            name = _join(item["rule"])
            rules[name] = Rule(
                name=name,
                priority=PRIORITY_NAMES[_join(item["priority"]).upper()],
                tags=_flow_list(_join(item["tags"])) if "tags" in item else (),
                output=_join(item["output"]),
                source=_join(item.get("source", ["syscall"])),
                enabled=_join(item.get("enabled", ["true"])) != "false",
                file=filename,
                order=order,
            )
            order += 1
    return rules


def format_value(value):
    """Falco prints a missing value as <NA> and booleans in lower case."""
    if value is None:
        return "<NA>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(rule, values):
    """Return (message, output_fields) the way Falco formats this rule for these field values.

    The message is the rule's output with every %field replaced, followed by the suggested
    container fields. output_fields holds exactly the referenced fields; Kubernetes fields are
    left out when the event has none (a host process, or a container outside Kubernetes).
    """
    message = FIELD_RE.sub(lambda m: format_value(values.get(m.group(1))), rule.output)
    message += " " + " ".join(f"{label}={format_value(values.get(f))}" for label, f in SUGGESTED_FIELDS)
    fields = {name: values.get(name) for name in rule.fields}
    for _, name in SUGGESTED_FIELDS:
        if name in K8S_FIELDS and values.get(name) is None:
            continue
        fields[name] = values.get(name)
    return message, dict(sorted(fields.items()))
