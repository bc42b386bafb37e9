# METADATA
# title: Verdict on a proposed response action
# description: >-
#   Decides whether a response action proposed for a case runs on its own
#   (auto_execute), is refused (auto_reject) or goes to a human (escalate).
#   Precedence: auto_reject > escalate > auto_execute. Settings live in
#   data.soc.settings (policies/soc/settings/data.json), never in this file.
package soc.verdict

settings := data.soc.settings

# METADATA
# title: Decision
# description: >-
#   {"outcome": "auto_execute"|"auto_reject"|"escalate", "reasons": [sorted strings],
#   "policy_version": string}. Defined for every input: missing or malformed
#   fields escalate with an "input incomplete" reason.
# scope: document
# entrypoint: true
decision := {
	"outcome": result.outcome,
	"reasons": result.reasons,
	"policy_version": policy_version,
}

default policy_version := "unknown"

policy_version := settings.policy_version if is_string(settings.policy_version)

# Only reached if no reject, no escalate and the action is not executable,
# which the rules below rule out; kept so the answer is never auto_execute by accident.
default result := {"outcome": "escalate", "reasons": ["no rule allowed automatic execution"]}

result := {"outcome": "auto_reject", "reasons": sort(reject_reasons)} if {
	count(reject_reasons) > 0
} else := {"outcome": "escalate", "reasons": sort(escalate_reasons)} if {
	count(escalate_reasons) > 0
} else := {"outcome": "auto_execute", "reasons": [sprintf("action %s allowed within limits", [input.action.type])]} if {
	execute_allowed
}

execute_allowed if {
	input.action.type in settings.allowed_actions
	is_object(settings.blast_radius_limits[input.action.type])
}

# --- auto_reject ---------------------------------------------------------

reject_reasons contains "no response action proposed" if input.action.type == "none"

# With settings.allowed_actions missing this rule does not fire (see the note on
# negation below); the settings check escalates instead.
reject_reasons contains sprintf("action %s is not an allowed action", [type]) if {
	type := input.action.type
	is_string(type)
	type != "none"
	not type in settings.allowed_actions
}

reject_reasons contains msg if {
	type := input.action.type
	type in settings.destructive_actions
	namespace := input.action.target.namespace
	namespace in settings.protected_namespaces
	msg := sprintf("destructive action %s on protected namespace %s is not allowed", [type, namespace])
}

# --- escalate ------------------------------------------------------------

escalate_reasons contains msg if {
	count(input_problems) > 0
	msg := sprintf("input incomplete: missing or malformed %s", [concat(", ", sort(input_problems))])
}

escalate_reasons contains msg if {
	count(settings_problems) > 0
	msg := sprintf("policy settings incomplete: missing or malformed %s", [concat(", ", sort(settings_problems))])
}

escalate_reasons contains msg if {
	is_number(input.confidence)
	input.confidence < settings.confidence_threshold
	msg := sprintf("confidence %v below threshold %v", [input.confidence, settings.confidence_threshold])
}

escalate_reasons contains sprintf("namespace %s is always escalated", [namespace]) if {
	namespace := input.action.target.namespace
	namespace in settings.always_escalate.namespaces
}

escalate_reasons contains sprintf("image %s is an identity store", [image]) if {
	image := input.action.target.image
	is_string(image)
	repository := image_repository(image)
	some pattern in settings.always_escalate.images
	regex.match(pattern, repository)
}

escalate_reasons contains sprintf("label %s=%s is always escalated", [key, value]) if {
	some key, values in settings.always_escalate.labels
	value := input.action.target.labels[key]
	value in values
}

escalate_reasons contains sprintf("asset tag %s is always escalated", [tag]) if {
	some tag in input.asset_tags
	tag in settings.always_escalate.asset_tags
}

escalate_reasons contains msg if {
	type := input.action.type
	some dimension, limit in settings.blast_radius_limits[type]
	value := input.blast_radius[dimension]
	value > limit
	msg := sprintf("blast radius %s %v exceeds limit %v for %s", [dimension, value, limit, type])
}

# A limit of 0 on every dimension means the action never runs on its own,
# whatever blast radius the reviewer reported.
escalate_reasons contains sprintf("action %s always needs a human (all blast radius limits are 0)", [type]) if {
	type := input.action.type
	limits := settings.blast_radius_limits[type]
	every limit in limits {
		limit == 0
	}
}

escalate_reasons contains sprintf("no blast radius limits configured for %s", [type]) if {
	type := input.action.type
	type in settings.allowed_actions
	not settings.blast_radius_limits[type]
}

escalate_reasons contains sprintf("severity critical requires a human for %s", [type]) if {
	input.severity == "critical"
	type := input.action.type
	is_string(type)
	not type in settings.critical_severity_actions
}

# --- input and settings checks -------------------------------------------

severities := {"low", "medium", "high", "critical"}

blast_radius_dimensions := {"pods", "nodes", "namespaces"}

# Checks are written positively (valid_* sets) and negated as a set difference:
# `not f(input.missing)` is undefined rather than true in OPA, because the
# compiler moves call arguments out of the negation.

required_input_fields := {
	"action.type",
	"action.target.namespace",
	"action.target.image",
	"action.target.labels",
	"blast_radius.pods",
	"blast_radius.nodes",
	"blast_radius.namespaces",
	"confidence",
	"severity",
	"asset_tags",
}

input_problems := required_input_fields - valid_input_fields

valid_input_fields contains "action.type" if is_string(input.action.type)

valid_input_fields contains "action.target.namespace" if string_or_null(input.action.target.namespace)

valid_input_fields contains "action.target.image" if string_or_null(input.action.target.image)

valid_input_fields contains "action.target.labels" if string_map(input.action.target.labels)

valid_input_fields contains sprintf("blast_radius.%s", [dimension]) if {
	some dimension in blast_radius_dimensions
	non_negative_number(input.blast_radius[dimension])
}

valid_input_fields contains "confidence" if unit_interval(input.confidence)

valid_input_fields contains "severity" if input.severity in severities

valid_input_fields contains "asset_tags" if string_array(input.asset_tags)

required_settings := {
	"policy_version",
	"confidence_threshold",
	"allowed_actions",
	"destructive_actions",
	"protected_namespaces",
	"critical_severity_actions",
	"always_escalate.namespaces",
	"always_escalate.images",
	"always_escalate.labels",
	"always_escalate.asset_tags",
	"blast_radius_limits",
}

settings_problems := (required_settings - valid_settings) | invalid_blast_radius_limits

valid_settings contains "policy_version" if is_string(settings.policy_version)

valid_settings contains "confidence_threshold" if unit_interval(settings.confidence_threshold)

valid_settings contains name if {
	some name in ["allowed_actions", "destructive_actions", "protected_namespaces", "critical_severity_actions"]
	string_array(settings[name])
}

valid_settings contains sprintf("always_escalate.%s", [name]) if {
	some name in ["namespaces", "asset_tags"]
	string_array(settings.always_escalate[name])
}

valid_settings contains "always_escalate.images" if regex_array(settings.always_escalate.images)

valid_settings contains "always_escalate.labels" if label_rules(settings.always_escalate.labels)

valid_settings contains "blast_radius_limits" if is_object(settings.blast_radius_limits)

invalid_blast_radius_limits contains sprintf("blast_radius_limits.%s", [type]) if {
	some type, limits in settings.blast_radius_limits
	not valid_limits(limits)
}

# --- helpers ---------------------------------------------------------------

# "quay.io/keycloak/keycloak:26.0@sha256:…" -> "quay.io/keycloak/keycloak" (lowercased);
# a registry port ("registry:5000/dex") is kept.
image_repository(image) := repository if {
	segments := split(split(image, "@")[0], "/")
	last := count(segments) - 1
	name := split(segments[last], ":")[0]
	repository := lower(concat("/", array.concat(array.slice(segments, 0, last), [name])))
}

string_or_null(x) if is_string(x)

string_or_null(x) if is_null(x)

string_array(x) if {
	is_array(x)
	every item in x {
		is_string(item)
	}
}

string_map(x) if {
	is_object(x)
	every value in x {
		is_string(value)
	}
}

non_negative_number(x) if {
	is_number(x)
	x >= 0
}

unit_interval(x) if {
	is_number(x)
	x >= 0
	x <= 1
}

regex_array(x) if {
	string_array(x)
	every pattern in x {
		regex.is_valid(pattern)
	}
}

label_rules(x) if {
	is_object(x)
	every values in x {
		string_array(values)
	}
}

valid_limits(limits) if {
	is_object(limits)
	every dimension, limit in limits {
		dimension in blast_radius_dimensions
		non_negative_number(limit)
	}
}
