# Verdict input and settings checks: which required input fields and settings are
# missing or malformed, and the type helpers behind them. A problem in either
# escalates (see verdict.rego). soc.approvals reuses the helpers.
package soc.verdict

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

# What every decision asks: are all required input fields well-formed? The same checks as
# valid_input_fields, as one conjunction: building the problem set costs a few microseconds per
# decision in Wasm, and it is only needed when this fails (and for the explanation).
input_complete if {
	is_string(input.action.type)
	string_or_null(input.action.target.namespace)
	string_or_null(input.action.target.image)
	string_map(input.action.target.labels)
	non_negative_number(input.blast_radius.pods)
	non_negative_number(input.blast_radius.nodes)
	non_negative_number(input.blast_radius.namespaces)
	unit_interval(input.confidence)
	input.severity in severities
	string_array(input.asset_tags)
}

valid_input_fields contains "action.type" if is_string(input.action.type)

valid_input_fields contains "action.target.namespace" if string_or_null(input.action.target.namespace)

valid_input_fields contains "action.target.image" if string_or_null(input.action.target.image)

valid_input_fields contains "action.target.labels" if string_map(input.action.target.labels)

valid_input_fields contains "blast_radius.pods" if non_negative_number(input.blast_radius.pods)

valid_input_fields contains "blast_radius.nodes" if non_negative_number(input.blast_radius.nodes)

valid_input_fields contains "blast_radius.namespaces" if non_negative_number(input.blast_radius.namespaces)

valid_input_fields contains "confidence" if unit_interval(input.confidence)

valid_input_fields contains "severity" if input.severity in severities

valid_input_fields contains "asset_tags" if string_array(input.asset_tags)

required_settings := {
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

# What every decision asks: are all settings well-formed? The settings are bundle data, fixed
# between two loads of the bundle, so a host that has itself found settings_problems empty for the
# data it loaded may say so in data.system.soc.settings_verified (outside the bundle's roots: no
# bundle can set it); the in-process Wasm evaluator does, and refuses a bundle whose settings have
# problems. The check was a third of a Wasm decision.
settings_complete if data.system.soc.settings_verified == true

# Everywhere else (OPA serving the bundle, opa eval, opa test) every decision checks them: the same
# checks as valid_settings and invalid_blast_radius_limits, as one conjunction; the problem set is
# only built when this fails (and for the explanation).
settings_complete if {
	not data.system.soc.settings_verified
	unit_interval(settings.confidence_threshold)
	string_array(settings.allowed_actions)
	string_array(settings.destructive_actions)
	string_array(settings.protected_namespaces)
	string_array(settings.critical_severity_actions)
	string_array(settings.always_escalate.namespaces)
	string_array(settings.always_escalate.asset_tags)
	string_array(settings.always_escalate.images.substrings)
	string_array(settings.always_escalate.images.names)
	label_rules(settings.always_escalate.labels)
	is_object(settings.blast_radius_limits)
	every limits in settings.blast_radius_limits {
		valid_limits(limits)
	}
}

valid_settings contains "confidence_threshold" if unit_interval(settings.confidence_threshold)

valid_settings contains name if {
	some name in ["allowed_actions", "destructive_actions", "protected_namespaces", "critical_severity_actions"]
	string_array(settings[name])
}

valid_settings contains "always_escalate.namespaces" if string_array(settings.always_escalate.namespaces)

valid_settings contains "always_escalate.asset_tags" if string_array(settings.always_escalate.asset_tags)

valid_settings contains "always_escalate.images" if {
	string_array(settings.always_escalate.images.substrings)
	string_array(settings.always_escalate.images.names)
}

valid_settings contains "always_escalate.labels" if label_rules(settings.always_escalate.labels)

valid_settings contains "blast_radius_limits" if is_object(settings.blast_radius_limits)

invalid_blast_radius_limits contains concat("", ["blast_radius_limits.", type]) if {
	some type, limits in settings.blast_radius_limits
	not valid_limits(limits)
}

# --- helpers ---------------------------------------------------------------

# always_escalate.images: a repository containing one of `substrings`, or whose last
# path segment is one of `names`, alone or followed by "-" or "_" (vault, vault-k8s;
# not vaultwarden, not index-server).
identity_store_image(image) if {
	some part in settings.always_escalate.images.substrings
	contains(image.repository, part)
}

identity_store_image(image) if {
	some name in settings.always_escalate.images.names
	startswith(image.name, name)
	substring(image.name, count(name), 1) in {"", "-", "_"}
}

# "quay.io/keycloak/keycloak:26.0@sha256:…" -> repository "quay.io/keycloak/keycloak",
# name "keycloak" (lowercased); a registry port ("registry:5000/dex") is kept.
image_reference(image) := {"repository": concat("", [path, name]), "name": name} if {
	reference := lower(split(image, "@")[0])
	segments := split(reference, "/")
	tagged := segments[count(segments) - 1]
	name := split(tagged, ":")[0]
	path := trim_suffix(reference, tagged)
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
