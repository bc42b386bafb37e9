# METADATA
# title: Prefilter anomaly threshold
# description: >-
#   The anomaly score at or above which the prefilter opens a case. The value is
#   data (data.soc.settings.anomaly_threshold); an operator can tighten or loosen it
#   while OPA runs by writing data.soc_overrides.anomaly_threshold through OPA's
#   Data API, within data.soc.settings.anomaly_threshold_bounds. The override lives
#   outside the bundle's "soc" root because OPA refuses writes under a bundle root.
package soc.threshold

settings := data.soc.settings

override := data.soc_overrides.anomaly_threshold

# METADATA
# title: Value
# description: >-
#   The override when it is a number within the bounds, else the bundle's value when
#   it is a number in [0, 1]; undefined otherwise (the caller keeps its own default).
# scope: document
# entrypoint: true
value := override if {
	within_bounds(override)
} else := settings.anomaly_threshold if {
	unit_interval(settings.anomaly_threshold)
}

# METADATA
# title: Source
# description: Where value came from, for get_threshold's answer and the logs.
# scope: document
# entrypoint: true
default source := "none"

source := "override" if {
	within_bounds(override)
} else := "bundle" if {
	unit_interval(settings.anomaly_threshold)
}

# No bounds means no override: loosening must be allowed by the bundle, never assumed.
within_bounds(x) if {
	is_number(x)
	bounds := settings.anomaly_threshold_bounds
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
