# METADATA
# title: Rule changes
# description: >-
#   Whether a Falco rule change the fleet drafted (an exception from dismissed
#   cases, or a new or reprioritised rule from approved ones), validated by the
#   Falco project's tooling and replayed on the recorded events, is opened as a
#   pull request, shown to an analyst first, or rejected. The input is
#   {"kind": "exception"|"rule", "rule": {"name", "priority"},
#   "validation": {"ok", "messages"}, "replay": {"events", "dismissed",
#   "spared_dismissed", "spared_approved", "spared_open", "unreplayable",
#   "approved", "matched_approved"}}; the limits are data.soc.settings.rules.
package soc.rules

import data.soc.verdict

rule_settings := data.soc.settings.rules

# Falco's priorities, lowest first.
priority_rank := {
	"debug": 1, "informational": 2, "info": 2, "notice": 3, "warning": 4,
	"error": 5, "critical": 6, "alert": 7, "emergency": 8,
}

# METADATA
# title: Decision
# description: >-
#   {"outcome": "pull_request"|"escalate"|"reject", "reasons": [sorted strings],
#   "policy_version": string}. Defined for every input: what cannot be checked
#   is rejected.
# scope: document
# entrypoint: true
decision := {
	"outcome": outcome,
	"reasons": sort(reasons),
	"policy_version": verdict.policy_version,
}

default outcome := "pull_request"

outcome := "reject" if {
	count(reject_reasons) > 0
} else := "escalate" if {
	count(escalate_reasons) > 0
}

default reasons := {"validated, replayed and within every limit: a pull request for a human to merge"}

reasons := reject_reasons if count(reject_reasons) > 0

reasons := escalate_reasons if {
	count(reject_reasons) == 0
	count(escalate_reasons) > 0
}

# --- rejected ------------------------------------------------------------------

reject_reasons contains msg if {
	some msg in problems
}

reject_reasons contains concat("", ["the validator refused it: ", concat("; ", input.validation.messages)]) if {
	count(problems) == 0
	not input.validation.ok
}

reject_reasons contains msg if {
	count(problems) == 0
	input.kind == "exception"
	count(input.replay.spared_approved) > 0
	msg := concat("", ["it would hide approved case(s): ", concat(", ", sort(input.replay.spared_approved))])
}

reject_reasons contains "it does not spare every dismissed case it was drafted from" if {
	count(problems) == 0
	input.kind == "exception"
	input.replay.spared_dismissed < input.replay.dismissed
}

reject_reasons contains "it does not match every approved case it was drafted from" if {
	count(problems) == 0
	input.kind == "rule"
	input.replay.matched_approved < input.replay.approved
}

# --- shown to an analyst first -------------------------------------------------

escalate_reasons contains concat("", ["an exception to a rule at priority ", input.rule.priority]) if {
	input.kind == "exception"
	priority_rank[lower(input.rule.priority)] >= priority_rank[rule_settings.escalate_exceptions_from]
}

escalate_reasons contains concat("", ["a rule at priority ", input.rule.priority]) if {
	input.kind == "rule"
	priority_rank[lower(input.rule.priority)] >= priority_rank[rule_settings.escalate_rules_from]
}

escalate_reasons contains msg if {
	input.kind == "exception"
	share := spared / input.replay.events
	share > rule_settings.max_suppressed_share
	msg := sprintf("it spares %d%% of the rule's recorded events, above %d%%", [
		round(share * 100),
		round(rule_settings.max_suppressed_share * 100),
	])
}

escalate_reasons contains msg if {
	input.kind == "exception"
	count(input.replay.spared_open) > 0
	msg := concat("", ["it would hide case(s) still open: ", concat(", ", sort(input.replay.spared_open))])
}

escalate_reasons contains msg if {
	share := input.replay.unreplayable / input.replay.events
	share > rule_settings.max_unreplayable_share
	msg := sprintf("%d of %d recorded events could not be replayed (fields their records lack)", [
		input.replay.unreplayable,
		input.replay.events,
	])
}

spared := (input.replay.spared_dismissed + count(input.replay.spared_approved)) + count(input.replay.spared_open)

# --- input and settings checks -------------------------------------------------

problems contains concat("", ["input incomplete: missing or malformed ", concat(", ", sort(missing))]) if {
	missing := {"kind", "rule.name", "rule.priority", "validation", "replay"} - valid_input
	count(missing) > 0
}

problems contains "rule change settings incomplete: missing or malformed rules" if {
	not valid_settings
}

valid_input contains "kind" if input.kind in {"exception", "rule"}

valid_input contains "rule.name" if nonempty_string(input.rule.name)

valid_input contains "rule.priority" if priority_rank[lower(input.rule.priority)]

valid_input contains "validation" if valid_validation

valid_input contains "replay" if valid_replay

nonempty_string(value) if {
	is_string(value)
	value != ""
}

default valid_validation := false

valid_validation if {
	is_boolean(input.validation.ok)
	verdict.string_array(input.validation.messages)
}

default valid_replay := false

valid_replay if {
	replay := input.replay
	replay.events > 0
	count_of(replay.events)
	verdict.string_array(replay.spared_approved)
	verdict.string_array(replay.spared_open)
	every name in ["dismissed", "spared_dismissed", "unreplayable", "approved", "matched_approved"] {
		count_of(replay[name])
	}
}

count_of(value) if {
	is_number(value)
	value >= 0
	value == floor(value)
}

default valid_settings := false

valid_settings if {
	priority_rank[rule_settings.escalate_exceptions_from]
	priority_rank[rule_settings.escalate_rules_from]
	every name in ["max_suppressed_share", "max_unreplayable_share"] {
		is_number(rule_settings[name])
		rule_settings[name] >= 0
		rule_settings[name] <= 1
	}
}
