package soc.threshold_test

import data.soc.threshold

settings := data.soc.settings

# Each case replaces the settings and/or sets the live override, and says what
# value and source the prefilter gets ("undefined": no value, keep its default).
cases := {
	"the bundle's value": {"want": 0.7, "source": "bundle"},
	"an override within bounds tightens": {"overrides": {"anomaly_threshold": 0.85}, "want": 0.85, "source": "override"},
	"an override within bounds loosens": {"overrides": {"anomaly_threshold": 0.35}, "want": 0.35, "source": "override"},
	"an override at the lower bound": {"overrides": {"anomaly_threshold": 0.3}, "want": 0.3, "source": "override"},
	"an override at the upper bound": {"overrides": {"anomaly_threshold": 0.9}, "want": 0.9, "source": "override"},
	"an override below the bounds is ignored": {"overrides": {"anomaly_threshold": 0.1}, "want": 0.7, "source": "bundle"},
	"an override above the bounds is ignored": {"overrides": {"anomaly_threshold": 0.95}, "want": 0.7, "source": "bundle"},
	"a non-numeric override is ignored": {"overrides": {"anomaly_threshold": "0.4"}, "want": 0.7, "source": "bundle"},
	"no bounds: no override": {
		"settings": {"anomaly_threshold": 0.6},
		"overrides": {"anomaly_threshold": 0.5},
		"want": 0.6,
		"source": "bundle",
	},
	"malformed bounds: no override": {
		"settings": {"anomaly_threshold": 0.6, "anomaly_threshold_bounds": {"min": "low", "max": 2}},
		"overrides": {"anomaly_threshold": 0.5},
		"want": 0.6,
		"source": "bundle",
	},
	"no threshold in the bundle": {"settings": {}, "want": "undefined", "source": "none"},
	"a threshold above 1": {"settings": {"anomaly_threshold": 1.5}, "want": "undefined", "source": "none"},
	"a threshold that is not a number": {"settings": {"anomaly_threshold": "0.6"}, "want": "undefined", "source": "none"},
	"an override still works without a bundle value": {
		"settings": {"anomaly_threshold_bounds": {"min": 0.2, "max": 0.8}},
		"overrides": {"anomaly_threshold": 0.4},
		"want": 0.4,
		"source": "override",
	},
}

# `with` stays in the test rules (Regal: no `with` in helper functions). Every case
# must land in `passed`, so a case whose value is unexpectedly undefined fails.
test_threshold_cases if {
	passed := {name |
		some name, tc in cases
		tc.want != "undefined"
		v := threshold.value with data.soc.settings as object.get(tc, "settings", settings)
			with data.soc_overrides as object.get(tc, "overrides", {})
		s := threshold.source with data.soc.settings as object.get(tc, "settings", settings)
			with data.soc_overrides as object.get(tc, "overrides", {})
		[v, s] == [tc.want, tc.source]
	}
	undefined := {name |
		some name, tc in cases
		tc.want == "undefined"
		not threshold.value with data.soc.settings as tc.settings
		threshold.source == tc.source with data.soc.settings as tc.settings
	}
	object.keys(cases) - (passed | undefined) == set()
}

test_shipped_threshold_is_inside_its_own_bounds if {
	bounds := settings.anomaly_threshold_bounds
	settings.anomaly_threshold >= bounds.min
	settings.anomaly_threshold <= bounds.max
}
