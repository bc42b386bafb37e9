package soc.verdict_test

import data.soc.verdict

# --- incomplete or malformed input -------------------------------------------

all_fields_missing := concat("", [
	"input incomplete: missing or malformed action.target.image, action.target.labels, ",
	"action.target.namespace, action.type, asset_tags, blast_radius.namespaces, ",
	"blast_radius.nodes, blast_radius.pods, confidence, severity",
])

raw_inputs := {
	"empty object": {},
	"string": "isolate everything",
	"array": [1, 2],
	"number": 42,
	"null": null,
	"unrelated object": {"foo": {"bar": 1}},
}

test_incomplete_inputs_escalate if {
	escalated := {name |
		some name, raw in raw_inputs
		d := verdict.decision with input as raw with data.system.bundles as bundles
		d == {"outcome": "escalate", "reasons": [all_fields_missing], "policy_version": version}
	}
	object.keys(raw_inputs) - escalated == set()
}

test_no_input_at_all_escalates if {
	d := verdict.decision with data.system.bundles as bundles
	d == {"outcome": "escalate", "reasons": [all_fields_missing], "policy_version": version}
}

incomplete_cases := {
	"confidence missing": {
		"remove": ["confidence"],
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed confidence"],
	},
	"confidence as a string": {
		"patch": {"confidence": "high"},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed confidence"],
	},
	"confidence above 1": {
		"patch": {"confidence": 1.5},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed confidence"],
	},
	"negative confidence": {
		"patch": {"confidence": -0.1},
		"outcome": "escalate",
		"reasons": [
			"confidence -0.1 below threshold 0.8",
			"input incomplete: missing or malformed confidence",
		],
	},
	"action type not a string": {
		"patch": {"action": {"type": 7}},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed action.type"],
	},
	"target missing": {
		"remove": ["action/target"],
		"outcome": "escalate",
		"reasons": [concat("", [
			"input incomplete: missing or malformed action.target.image, ",
			"action.target.labels, action.target.namespace",
		])],
	},
	"namespace not a string": {
		"patch": {"action": {"target": {"namespace": 3}}},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed action.target.namespace"],
	},
	"image not a string": {
		"patch": {"action": {"target": {"image": ["nginx"]}}},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed action.target.image"],
	},
	"label value not a string": {
		"patch": {"action": {"target": {"labels": {"soc.fleet/always-escalate": true}}}},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed action.target.labels"],
	},
	"labels missing": {
		"remove": ["action/target/labels"],
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed action.target.labels"],
	},
	"blast radius missing": {
		"remove": ["blast_radius"],
		"outcome": "escalate",
		"reasons": [concat("", [
			"input incomplete: missing or malformed blast_radius.namespaces, ",
			"blast_radius.nodes, blast_radius.pods",
		])],
	},
	"negative blast radius": {
		"patch": {"blast_radius": {"pods": -1}},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed blast_radius.pods"],
	},
	"unknown severity": {
		"patch": {"severity": "urgent"},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed severity"],
	},
	"asset tags as a string": {
		"patch": {"asset_tags": "control-plane"},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed asset_tags"],
	},
	"asset tags with a non-string": {
		"patch": {"asset_tags": ["web", 1]},
		"outcome": "escalate",
		"reasons": ["input incomplete: missing or malformed asset_tags"],
	},
}

test_incomplete_input_cases if {
	passed := {name |
		some name, tc in incomplete_cases
		d := verdict.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(incomplete_cases) - passed == set()
}

# input_complete, asked on every decision, must agree with input_problems, which the
# explanation lists: one variant per required field, each broken alone.
input_variants := {
	"action.type": {"patch": {"action": {"type": 1}}},
	"action.target.namespace": {"patch": {"action": {"target": {"namespace": 1}}}},
	"action.target.image": {"patch": {"action": {"target": {"image": ["nginx"]}}}},
	"action.target.labels": {"patch": {"action": {"target": {"labels": {"app": 1}}}}},
	"blast_radius.pods": {"patch": {"blast_radius": {"pods": -1}}},
	"blast_radius.nodes": {"patch": {"blast_radius": {"nodes": "1"}}},
	"blast_radius.namespaces": {"remove": ["blast_radius/namespaces"]},
	"confidence": {"patch": {"confidence": 1.5}},
	"severity": {"patch": {"severity": "urgent"}},
	"asset_tags": {"patch": {"asset_tags": ["web", 1]}},
}

test_input_complete_agrees_with_input_problems if {
	verdict.input_complete with input as base_input
	count(verdict.input_problems) == 0 with input as base_input
	flagged := {name |
		some name, tc in input_variants
		not verdict.input_complete with input as case_input(tc)
		verdict.input_problems == {name} with input as case_input(tc)
	}
	object.keys(input_variants) - flagged == set()
}
