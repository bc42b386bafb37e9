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

# METADATA
# title: Explanation
# description: >-
#   The decision and every rule that fired for this input, including those that
#   lost on precedence, as {"rule", "outcome", "reason"} in order of precedence,
#   then rule, then reason; with the input fields and settings found missing or
#   malformed.
# scope: document
# entrypoint: true
explanation := {
	"decision": decision,
	"fired": [{"rule": key[1], "outcome": key[3], "reason": key[2]} |
		some key in sort({[precedence[hit.outcome], hit.rule, hit.reason, hit.outcome] | some hit in fired})
	],
	"input_problems": sort(input_problems),
	"settings_problems": sort(settings_problems),
}

precedence := {"auto_reject": 0, "escalate": 1, "auto_execute": 2}

fired contains {"rule": concat("", ["reject.", rule]), "outcome": "auto_reject", "reason": reason} if {
	some rule, reasons in reject
	some reason in reasons
}

fired contains {"rule": concat("", ["escalate.", rule]), "outcome": "escalate", "reason": reason} if {
	some rule, reasons in escalate
	some reason in reasons
}

fired contains {"rule": "execute.allowed", "outcome": "auto_execute", "reason": execute_reason} if execute_allowed

# METADATA
# title: Policy version
# description: >-
#   The revision in policies/.manifest, its one source: OPA exposes a loaded bundle's
#   manifest at data.system.bundles[<name>].manifest, and the in-process Wasm evaluator
#   puts the same document into its data. "unknown" when the policies were loaded as
#   plain files (opa eval -d, opa test) instead of a bundle, or when two loaded bundles
#   claim the soc root with different revisions.
# scope: document
default policy_version := "unknown"

policy_version := only if {
	count(bundle_revisions) == 1
	some only in bundle_revisions
}

bundle_revisions contains loaded.manifest.revision if {
	some loaded in data.system.bundles
	"soc" in loaded.manifest.roots
	is_string(loaded.manifest.revision)
	loaded.manifest.revision != ""
}

# Only reached if no reject, no escalate and the action is not executable,
# which the rules below rule out; kept so the answer is never auto_execute by accident.
default result := {"outcome": "escalate", "reasons": ["no rule allowed automatic execution"]}

result := {"outcome": "auto_reject", "reasons": sort(reject_reasons)} if {
	count(reject_reasons) > 0
} else := {"outcome": "escalate", "reasons": sort(escalate_reasons)} if {
	count(escalate_reasons) > 0
} else := {"outcome": "auto_execute", "reasons": [execute_reason]} if {
	execute_allowed
}

reject_reasons contains reason if {
	some reasons in reject
	some reason in reasons
}

escalate_reasons contains reason if {
	some reasons in escalate
	some reason in reasons
}

# Messages without numbers are built with concat: compiled to Wasm, sprintf costs
# several microseconds per call, a noticeable share of a decision.
execute_reason := concat("", ["action ", input.action.type, " allowed within limits"])

execute_allowed if {
	input.action.type in settings.allowed_actions
	is_object(settings.blast_radius_limits[input.action.type])
}

# --- auto_reject: reject.<rule> is the set of reasons that rule gives ------------

reject.no_action contains "no response action proposed" if input.action.type == "none"

# With settings.allowed_actions missing this rule does not fire (see the note on
# negation in checks.rego); the settings check escalates instead.
reject.not_allowed contains concat("", ["action ", type, " is not an allowed action"]) if {
	type := input.action.type
	is_string(type)
	type != "none"
	not type in settings.allowed_actions
}

reject.destructive_in_protected_namespace contains msg if {
	type := input.action.type
	type in settings.destructive_actions
	namespace := input.action.target.namespace
	namespace in settings.protected_namespaces
	msg := concat("", ["destructive action ", type, " on protected namespace ", namespace, " is not allowed"])
}

# --- escalate: escalate.<rule> is the set of reasons that rule gives -------------

escalate.input_incomplete contains msg if {
	not input_complete
	msg := sprintf("input incomplete: missing or malformed %s", [concat(", ", sort(input_problems))])
}

escalate.settings_incomplete contains msg if {
	not settings_complete
	msg := sprintf("policy settings incomplete: missing or malformed %s", [concat(", ", sort(settings_problems))])
}

escalate.low_confidence contains msg if {
	is_number(input.confidence)
	input.confidence < settings.confidence_threshold
	msg := sprintf("confidence %v below threshold %v", [input.confidence, settings.confidence_threshold])
}

escalate.namespace contains concat("", ["namespace ", namespace, " is always escalated"]) if {
	namespace := input.action.target.namespace
	namespace in settings.always_escalate.namespaces
}

# Matched with string operations, not regexes: compiled to Wasm, regex.match compiles
# its pattern on every evaluation and cost about 100 µs per decision.
escalate.image contains concat("", ["image ", image, " is an identity store"]) if {
	image := input.action.target.image
	is_string(image)
	identity_store_image(image_repository(image))
}

escalate.label contains concat("", ["label ", key, "=", value, " is always escalated"]) if {
	some key, values in settings.always_escalate.labels
	value := input.action.target.labels[key]
	value in values
}

escalate.asset_tag contains concat("", ["asset tag ", tag, " is always escalated"]) if {
	some tag in input.asset_tags
	tag in settings.always_escalate.asset_tags
}

escalate.blast_radius contains msg if {
	type := input.action.type
	some dimension, limit in settings.blast_radius_limits[type]
	value := input.blast_radius[dimension]
	value > limit
	msg := sprintf("blast radius %s %v exceeds limit %v for %s", [dimension, value, limit, type])
}

# A limit of 0 on every dimension means the action never runs on its own,
# whatever blast radius the reviewer reported.
escalate.never_automatic contains msg if {
	type := input.action.type
	limits := settings.blast_radius_limits[type]
	every limit in limits {
		limit == 0
	}
	msg := concat("", ["action ", type, " always needs a human (all blast radius limits are 0)"])
}

escalate.no_limits contains concat("", ["no blast radius limits configured for ", type]) if {
	type := input.action.type
	type in settings.allowed_actions
	not settings.blast_radius_limits[type]
}

escalate.critical_severity contains concat("", ["severity critical requires a human for ", type]) if {
	input.severity == "critical"
	type := input.action.type
	is_string(type)
	not type in settings.critical_severity_actions
}
