package soc.rules_test

import data.soc.rules

bundles := {"policies": {"manifest": {"revision": "test-1", "roots": ["soc"]}}}

# An exception to a Warning rule, validated, sparing its two dismissed cases and
# nothing else of the 20 events recorded; cases patch it (object.union).
exception := {
	"kind": "exception",
	"rule": {"name": "Read sensitive file untrusted", "priority": "Warning"},
	"validation": {"ok": true, "messages": []},
	"replay": {
		"events": 20, "dismissed": 2, "spared_dismissed": 2, "spared_approved": [], "spared_open": [],
		"unreplayable": 0, "approved": 0, "matched_approved": 0,
	},
}

# A new Notice rule matching the three approved cases it was drafted from.
new_rule := {
	"kind": "rule",
	"rule": {"name": "Backup tool reading shadow", "priority": "Notice"},
	"validation": {"ok": true, "messages": []},
	"replay": {
		"events": 40, "dismissed": 0, "spared_dismissed": 0, "spared_approved": [], "spared_open": [],
		"unreplayable": 0, "approved": 3, "matched_approved": 3,
	},
}

pull_request := ["validated, replayed and within every limit: a pull request for a human to merge"]

cases := {
	"a clean exception": {"base": exception, "outcome": "pull_request", "reasons": pull_request},
	"a clean rule": {"base": new_rule, "outcome": "pull_request", "reasons": pull_request},
	"refused by the validator": {
		"base": exception,
		"patch": {"validation": {"ok": false, "messages": ["unknown field proc.nam", "unused macro x"]}},
		"outcome": "reject",
		"reasons": ["the validator refused it: unknown field proc.nam; unused macro x"],
	},
	"hides an approved case": {
		"base": exception,
		"patch": {"replay": object.union(exception.replay, {"spared_approved": ["C-7K2F9", "C-22222"]})},
		"outcome": "reject",
		"reasons": ["it would hide approved case(s): C-22222, C-7K2F9"],
	},
	"misses a dismissed case": {
		"base": exception,
		"patch": {"replay": object.union(exception.replay, {"spared_dismissed": 1})},
		"outcome": "reject",
		"reasons": ["it does not spare every dismissed case it was drafted from"],
	},
	"a rule missing an approved case": {
		"base": new_rule,
		"patch": {"replay": object.union(new_rule.replay, {"matched_approved": 2})},
		"outcome": "reject",
		"reasons": ["it does not match every approved case it was drafted from"],
	},
	"an exception to a Critical rule": {
		"base": exception,
		"patch": {"rule": {"name": "Drop and execute new binary in container", "priority": "CRITICAL"}},
		"outcome": "escalate",
		"reasons": ["an exception to a rule at priority CRITICAL"],
	},
	"a rule at Error": {
		"base": new_rule,
		"patch": {"rule": {"name": "x", "priority": "Error"}},
		"outcome": "escalate",
		"reasons": ["a rule at priority Error"],
	},
	"spares too much of the rule": {
		"base": exception,
		"patch": {"replay": object.union(exception.replay, {"dismissed": 5, "spared_dismissed": 5})},
		"outcome": "escalate",
		"reasons": ["it spares 25% of the rule's recorded events, above 20%"],
	},
	"hides an open case, and much is unreplayable": {
		"base": exception,
		"patch": {"replay": object.union(exception.replay, {"spared_open": ["C-33333"], "unreplayable": 11})},
		"outcome": "escalate",
		"reasons": [
			"11 of 20 recorded events could not be replayed (fields their records lack)",
			"it would hide case(s) still open: C-33333",
		],
	},
	"reject outranks escalate": {
		"base": exception,
		"patch": {
			"rule": {"name": "x", "priority": "Emergency"},
			"validation": {"ok": false, "messages": ["bad"]},
		},
		"outcome": "reject",
		"reasons": ["the validator refused it: bad"],
	},
}

incomplete := {
	"nothing": {
		"input": {},
		"reasons": ["input incomplete: missing or malformed kind, replay, rule.name, rule.priority, validation"],
	},
	"an unknown priority and kind": {
		"input": object.union(exception, {"kind": "macro", "rule": {"name": "x", "priority": "Loud"}}),
		"reasons": ["input incomplete: missing or malformed kind, rule.priority"],
	},
	"counts that are not counts": {
		"input": object.union(exception, {"replay": object.union(exception.replay, {"dismissed": -1, "events": 0})}),
		"reasons": ["input incomplete: missing or malformed replay"],
	},
	"messages that are not strings": {
		"input": object.union(exception, {"validation": {"ok": "yes", "messages": [1]}}),
		"reasons": ["input incomplete: missing or malformed validation"],
	},
}

test_decision_cases if {
	passed := {name |
		some name, tc in cases
		d := rules.decision with input as object.union(tc.base, object.get(tc, "patch", {}))
			with data.system.bundles as bundles
		[d.outcome, d.reasons, d.policy_version] == [tc.outcome, tc.reasons, "test-1"]
	}
	object.keys(cases) - passed == set()
}

test_incomplete_input_is_rejected if {
	passed := {name |
		some name, tc in incomplete
		d := rules.decision with input as tc.input with data.system.bundles as bundles
		[d.outcome, d.reasons] == ["reject", tc.reasons]
	}
	object.keys(incomplete) - passed == set()
}

test_broken_settings_reject_everything if {
	broken := object.union(data.soc.settings, {"rules": {"max_suppressed_share": 2}})
	d := rules.decision with input as exception with data.soc.settings as broken
	d.outcome == "reject"
	d.reasons == ["rule change settings incomplete: missing or malformed rules"]
}
