# METADATA
# title: Prefilter forwarding
# description: >-
#   What the prefilter forwards. Normally a budget (data.soc.settings.forward_budget):
#   the share of events to forward, which the prefilter turns into a score threshold
#   calibrated on its model's own training window, so that it means the same after
#   every retraining and on every cluster. An explicit score threshold overrides it.
#   Either can be set while OPA runs through OPA's Data API under data.soc_overrides
#   (anomaly_threshold within anomaly_threshold_bounds, forward_budget within
#   forward_budget_bounds); a live value wins over the bundle's, and a threshold over
#   a budget. The overrides live outside the bundle's "soc" root because OPA refuses
#   writes under a bundle root. Whatever the score, the floor is always forwarded.
package soc.threshold

settings := data.soc.settings

overrides := data.soc_overrides

# METADATA
# title: Forwarding
# description: >-
#   The threshold or the budget in force (one of them, the other null), where it came
#   from, and the floor: get_threshold's answer.
# scope: document
# entrypoint: true
forwarding := object.union(setting, {"floor": forward_floor})

default setting := {"threshold": null, "budget": null, "source": "none"}

setting := {"threshold": overrides.anomaly_threshold, "budget": null, "source": "threshold_override"} if {
	within(overrides.anomaly_threshold, settings.anomaly_threshold_bounds)
} else := {"threshold": null, "budget": overrides.forward_budget, "source": "budget_override"} if {
	within(overrides.forward_budget, settings.forward_budget_bounds)
	share(overrides.forward_budget)
} else := {"threshold": settings.anomaly_threshold, "budget": null, "source": "threshold"} if {
	unit_interval(settings.anomaly_threshold)
} else := {"threshold": null, "budget": settings.forward_budget, "source": "budget"} if {
	share(settings.forward_budget)
}

# Falco's priorities, most severe first.
priorities := ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"]

# What is forwarded whatever its score, unless the SOC says otherwise: alerts at
# Critical or above from rules the Falco project marks stable.
defaults := {"min_priority": "Critical", "maturities": ["maturity_stable"], "rules": [], "tactics": []}

configured := object.get(settings, "forward_floor", {})

# METADATA
# title: Floor
# description: >-
#   An alert is forwarded whatever its score when its priority is min_priority or
#   above and its rule carries one of the maturities tags, or when its rule is one
#   of rules, or when it carries one of the tactics tags (Falco's mitre_* tags).
#   Each part the settings give wrongly keeps its default.
forward_floor := {
	"min_priority": min_priority,
	"maturities": names(object.get(configured, "maturities", null), defaults.maturities),
	"rules": names(object.get(configured, "rules", null), defaults.rules),
	"tactics": names(object.get(configured, "tactics", null), defaults.tactics),
}

min_priority := configured.min_priority if {
	configured.min_priority in priorities
} else := defaults.min_priority

# A list of names as given, or the fallback when it is not one.
names(given, fallback) := given if {
	is_array(given)
	every name in given {
		is_string(name)
	}
} else := fallback

# No bounds means no override: loosening must be allowed by the bundle, never assumed.
within(x, bounds) if {
	is_number(x)
	unit_interval(bounds.min)
	unit_interval(bounds.max)
	x >= bounds.min
	x <= bounds.max
}

unit_interval(x) if {
	is_number(x)
	x >= 0
	x <= 1
}

share(x) if {
	is_number(x)
	x > 0
	x <= 1
}
