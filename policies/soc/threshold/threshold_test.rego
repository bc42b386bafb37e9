package soc.threshold_test

import data.soc.threshold

settings := data.soc.settings

bounded := {
	"anomaly_threshold_bounds": {"min": 0.3, "max": 0.9},
	"forward_budget_bounds": {"min": 0.001, "max": 0.05},
}

# Each case replaces the settings and/or sets live overrides, and says what the
# prefilter is told: a threshold, or a budget, and where it came from.
cases := {
	"the shipped budget": {"want": [null, 0.01, "budget"]},
	"a live budget within bounds tightens": {
		"overrides": {"forward_budget": 0.002},
		"want": [null, 0.002, "budget_override"],
	},
	"a live budget within bounds loosens": {
		"overrides": {"forward_budget": 0.05},
		"want": [null, 0.05, "budget_override"],
	},
	"a live budget outside the bounds is ignored": {"overrides": {"forward_budget": 0.2}, "want": [null, 0.01, "budget"]},
	"a live budget of 0 is ignored": {
		"settings": object.union(bounded, {"forward_budget": 0.01, "forward_budget_bounds": {"min": 0, "max": 1}}),
		"overrides": {"forward_budget": 0},
		"want": [null, 0.01, "budget"],
	},
	"a live threshold overrides the budget": {
		"overrides": {"anomaly_threshold": 0.85},
		"want": [0.85, null, "threshold_override"],
	},
	"a live threshold wins over a live budget": {
		"overrides": {"anomaly_threshold": 0.35, "forward_budget": 0.002},
		"want": [0.35, null, "threshold_override"],
	},
	"a live threshold outside the bounds is ignored": {
		"overrides": {"anomaly_threshold": 0.1},
		"want": [null, 0.01, "budget"],
	},
	"a non-numeric live threshold is ignored": {"overrides": {"anomaly_threshold": "0.4"}, "want": [null, 0.01, "budget"]},
	"a bundle threshold overrides the bundle budget": {
		"settings": object.union(bounded, {"anomaly_threshold": 0.7, "forward_budget": 0.01}),
		"want": [0.7, null, "threshold"],
	},
	"a live budget wins over a bundle threshold": {
		"settings": object.union(bounded, {"anomaly_threshold": 0.7, "forward_budget": 0.01}),
		"overrides": {"forward_budget": 0.02},
		"want": [null, 0.02, "budget_override"],
	},
	"no bounds: no live values": {
		"settings": {"forward_budget": 0.01},
		"overrides": {"anomaly_threshold": 0.5, "forward_budget": 0.02},
		"want": [null, 0.01, "budget"],
	},
	"malformed bounds: no live threshold": {
		"settings": {"forward_budget": 0.01, "anomaly_threshold_bounds": {"min": "low", "max": 2}},
		"overrides": {"anomaly_threshold": 0.5},
		"want": [null, 0.01, "budget"],
	},
	"neither in the bundle": {"settings": {}, "want": [null, null, "none"]},
	"a budget above 1": {"settings": {"forward_budget": 1.5}, "want": [null, null, "none"]},
	"a threshold that is not a number": {"settings": {"anomaly_threshold": "0.6"}, "want": [null, null, "none"]},
	"a live value still works without a bundle value": {
		"settings": bounded,
		"overrides": {"forward_budget": 0.004},
		"want": [null, 0.004, "budget_override"],
	},
}

# `with` stays in the test rules (Regal: no `with` in helper functions). Every case
# must land in `passed`, so a case whose answer is unexpectedly undefined fails.
test_forwarding_cases if {
	passed := {name |
		some name, tc in cases
		f := threshold.forwarding with data.soc.settings as object.get(tc, "settings", settings)
			with data.soc_overrides as object.get(tc, "overrides", {})
		[f.threshold, f.budget, f.source] == tc.want
	}
	object.keys(cases) - passed == set()
}

test_shipped_floor_is_critical_alerts_of_stable_rules if {
	threshold.forwarding.floor == {
		"min_priority": "Critical",
		"maturities": ["maturity_stable"],
		"rules": [],
		"tactics": [],
	}
}

test_floor_takes_listed_rules_and_tactics if {
	got := threshold.forward_floor with data.soc.settings.forward_floor as {
		"rules": ["Fileless execution via memfd_create"],
		"tactics": ["mitre_credential_access"],
	}
	got.rules == ["Fileless execution via memfd_create"]
	got.tactics == ["mitre_credential_access"]
	got.min_priority == "Critical"
}

test_floor_keeps_the_default_of_each_malformed_part if {
	got := threshold.forward_floor with data.soc.settings.forward_floor as {
		"min_priority": "Severe",
		"maturities": "maturity_stable",
		"rules": [1, 2],
		"tactics": ["mitre_execution"],
	}
	got == {
		"min_priority": "Critical",
		"maturities": ["maturity_stable"],
		"rules": [],
		"tactics": ["mitre_execution"],
	}
}

test_floor_can_be_lowered_to_error if {
	got := threshold.forward_floor with data.soc.settings.forward_floor as {"min_priority": "Error"}
	got.min_priority == "Error"
}

test_shipped_budget_is_inside_its_own_bounds if {
	bounds := settings.forward_budget_bounds
	settings.forward_budget >= bounds.min
	settings.forward_budget <= bounds.max
}
