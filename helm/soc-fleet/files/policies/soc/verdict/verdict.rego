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

fired contains {"rule": concat("", ["reject.", hit.rule]), "outcome": "auto_reject", "reason": hit.reason} if {
	some hit in rejections
}

fired contains {"rule": concat("", ["escalate.", hit.rule]), "outcome": "escalate", "reason": hit.reason} if {
	some hit in escalations
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

reject_reasons contains hit.reason if {
	some hit in rejections
}

escalate_reasons contains hit.reason if {
	some hit in escalations
}

# Reasons are built with concat, and numbers in them with json.marshal: compiled to Wasm,
# sprintf is a call out to JavaScript and cost several microseconds a reason, while both
# of these run inside the module. json.marshal keeps a number as the input wrote it, which
# is what sprintf's %v printed for the numbers JSON.stringify writes.
execute_reason := concat("", ["action ", input.action.type, " allowed within limits"])

execute_allowed if {
	input.action.type in settings.allowed_actions
	is_object(settings.blast_radius_limits[input.action.type])
}

# --- auto_reject: each rule that fires adds {"rule", "reason"} to rejections ----

rejections contains {"rule": "no_action", "reason": "no response action proposed"} if input.action.type == "none"

# With settings.allowed_actions missing this rule does not fire (see the note on
# negation in checks.rego); the settings check escalates instead.
rejections contains {"rule": "not_allowed", "reason": msg} if {
	type := input.action.type
	is_string(type)
	type != "none"
	not type in settings.allowed_actions
	msg := concat("", ["action ", type, " is not an allowed action"])
}

rejections contains {"rule": "destructive_in_protected_namespace", "reason": msg} if {
	type := input.action.type
	type in settings.destructive_actions
	namespace := input.action.target.namespace
	namespace in settings.protected_namespaces
	msg := concat("", ["destructive action ", type, " on protected namespace ", namespace, " is not allowed"])
}

# --- escalate: each rule that fires adds {"rule", "reason"} to escalations -----

escalations contains {"rule": "input_incomplete", "reason": msg} if {
	not input_complete
	msg := concat("", ["input incomplete: missing or malformed ", concat(", ", sort(input_problems))])
}

escalations contains {"rule": "settings_incomplete", "reason": msg} if {
	not settings_complete
	msg := concat("", ["policy settings incomplete: missing or malformed ", concat(", ", sort(settings_problems))])
}

escalations contains {"rule": "low_confidence", "reason": msg} if {
	is_number(input.confidence)
	input.confidence < settings.confidence_threshold
	msg := concat("", [
		"confidence ", json.marshal(input.confidence),
		" below threshold ", json.marshal(settings.confidence_threshold),
	])
}

escalations contains {"rule": "namespace", "reason": msg} if {
	namespace := input.action.target.namespace
	namespace in settings.always_escalate.namespaces
	msg := concat("", ["namespace ", namespace, " is always escalated"])
}

# Matched with string operations, not regexes: compiled to Wasm, regex.match compiles
# its pattern on every evaluation and cost about 100 µs per decision.
escalations contains {"rule": "image", "reason": msg} if {
	image := input.action.target.image
	is_string(image)
	identity_store_image(image_reference(image))
	msg := concat("", ["image ", image, " is an identity store"])
}

escalations contains {"rule": "label", "reason": msg} if {
	some key, values in settings.always_escalate.labels
	value := input.action.target.labels[key]
	value in values
	msg := concat("", ["label ", key, "=", value, " is always escalated"])
}

escalations contains {"rule": "asset_tag", "reason": msg} if {
	some tag in input.asset_tags
	tag in settings.always_escalate.asset_tags
	msg := concat("", ["asset tag ", tag, " is always escalated"])
}

escalations contains {"rule": "blast_radius", "reason": msg} if {
	type := input.action.type
	some dimension, limit in settings.blast_radius_limits[type]
	value := input.blast_radius[dimension]
	value > limit
	msg := concat("", [
		"blast radius ", dimension, " ", json.marshal(value),
		" exceeds limit ", json.marshal(limit), " for ", type,
	])
}

# A limit of 0 on every dimension means the action never runs on its own,
# whatever blast radius the reviewer reported.
escalations contains {"rule": "never_automatic", "reason": msg} if {
	type := input.action.type
	limits := settings.blast_radius_limits[type]
	every limit in limits {
		limit == 0
	}
	msg := concat("", ["action ", type, " always needs a human (all blast radius limits are 0)"])
}

escalations contains {"rule": "no_limits", "reason": msg} if {
	type := input.action.type
	type in settings.allowed_actions
	not settings.blast_radius_limits[type]
	msg := concat("", ["no blast radius limits configured for ", type])
}

escalations contains {"rule": "critical_severity", "reason": msg} if {
	input.severity == "critical"
	type := input.action.type
	is_string(type)
	not type in settings.critical_severity_actions
	msg := concat("", ["severity critical requires a human for ", type])
}
