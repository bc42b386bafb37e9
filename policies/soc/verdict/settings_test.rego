package soc.verdict_test

import data.soc.verdict

# --- settings (data.soc.settings) and the policy version --------------------------

# Tests replace data.soc.settings as a whole: in OPA 1.22.2 `with data.soc.settings.x as {...}`
# is merged into, not substituted for, the object that verdict.rego reads through `settings`.

settings := data.soc.settings

# The policy version is the revision in the manifest of the bundle owning "soc", as OPA
# exposes it at data.system.bundles; anything ambiguous is "unknown".
version_cases := {
	"the soc bundle's revision": {"bundles": bundles, "want": version},
	"another bundle is ignored": {
		"bundles": object.union(bundles, {"other": {"manifest": {"revision": "x-9", "roots": ["other"]}}}),
		"want": version,
	},
	"not loaded as a bundle": {"bundles": {}, "want": "unknown"},
	"a manifest without a revision": {"bundles": {"policies": {"manifest": {"roots": ["soc"]}}}, "want": "unknown"},
	"an empty revision": {"bundles": {"policies": {"manifest": {"revision": "", "roots": ["soc"]}}}, "want": "unknown"},
	"two revisions for soc": {
		"bundles": {
			"a": {"manifest": {"revision": "1", "roots": ["soc"]}},
			"b": {"manifest": {"revision": "2", "roots": ["soc"]}},
		},
		"want": "unknown",
	},
}

test_policy_version_is_the_soc_bundle_revision if {
	wrong := {name |
		some name, tc in version_cases
		verdict.policy_version != tc.want with data.system.bundles as tc.bundles
	}
	wrong == set()
}

test_decision_carries_the_bundle_revision if {
	d := verdict.decision with input as base_input with data.system.bundles as bundles
	d.policy_version == version
	e := verdict.explanation with input as base_input with data.system.bundles as {}
	e.decision.policy_version == "unknown"
}

test_threshold_comes_from_data if {
	d := verdict.decision with input as object.union(base_input, {"confidence": 0.6})
		with data.soc.settings as object.union(settings, {"confidence_threshold": 0.5})
	d.outcome == "auto_execute"
}

test_missing_settings_never_auto_execute if {
	d := verdict.decision with input as base_input with data.soc.settings as {}
	d.outcome == "escalate"
	d.reasons == [concat("", [
		"policy settings incomplete: missing or malformed allowed_actions, always_escalate.asset_tags, ",
		"always_escalate.images, always_escalate.labels, always_escalate.namespaces, blast_radius_limits, ",
		"confidence_threshold, critical_severity_actions, destructive_actions, protected_namespaces",
	])]
}

test_malformed_settings_escalate if {
	bad := object.union(settings, {
		"always_escalate": {"images": ["keycloak"], "labels": {"soc.fleet/asset-class": "compliance"}},
		"blast_radius_limits": {"isolate_pod": {"pods": 1, "services": 1}, "label_pod": 3},
	})
	d := verdict.decision with input as base_input with data.soc.settings as bad
	d.outcome == "escalate"
	d.reasons == [concat("", [
		"policy settings incomplete: missing or malformed always_escalate.images, always_escalate.labels, ",
		"blast_radius_limits.isolate_pod, blast_radius_limits.label_pod",
	])]
}

test_allowed_action_without_limits_escalates if {
	without_label_pod := json.remove(settings, ["blast_radius_limits/label_pod"])
	d := verdict.decision with input as object.union(base_input, {"action": {"type": "label_pod"}})
		with data.soc.settings as without_label_pod
	d.outcome == "escalate"
	d.reasons == ["no blast radius limits configured for label_pod"]
}

test_reject_reasons_accumulate if {
	allowed := [a | some a in settings.allowed_actions; a != "terminate_pod"]
	tc := {"patch": {"action": {"type": "terminate_pod", "target": {"namespace": "kube-system"}}}}
	d := verdict.decision with input as case_input(tc)
		with data.soc.settings as object.union(settings, {"allowed_actions": allowed})
	d.outcome == "auto_reject"
	d.reasons == [
		"action terminate_pod is not an allowed action",
		"destructive action terminate_pod on protected namespace kube-system is not allowed",
	]
}

# The last-resort default: never auto_execute when no rule said so.
test_fallback_is_escalate if {
	d := verdict.decision with input as {"action": {"type": "none"}}
		with verdict.rejections as set()
		with verdict.escalations as set()
		with data.system.bundles as bundles
	d == {"outcome": "escalate", "reasons": ["no rule allowed automatic execution"], "policy_version": version}
}

# settings_complete, asked on every decision, must agree with settings_problems, which the
# explanation lists: one variant per required setting, each broken alone.
settings_variants := {
	"threshold above 1": object.union(settings, {"confidence_threshold": 2}),
	"allowed_actions not strings": object.union(settings, {"allowed_actions": [1]}),
	"destructive_actions missing": json.remove(settings, ["destructive_actions"]),
	"protected_namespaces a string": object.union(settings, {"protected_namespaces": "kube-system"}),
	"critical_severity_actions missing": json.remove(settings, ["critical_severity_actions"]),
	"always-escalate namespaces missing": json.remove(settings, ["always_escalate/namespaces"]),
	"always-escalate asset tags missing": json.remove(settings, ["always_escalate/asset_tags"]),
	"image substrings missing": json.remove(settings, ["always_escalate/images/substrings"]),
	"image names missing": json.remove(settings, ["always_escalate/images/names"]),
	"label values not arrays": object.union(settings, {"always_escalate": {"labels": {"a": "b"}}}),
	"limits not an object": object.union(settings, {"blast_radius_limits": []}),
	"a limit on an unknown dimension": object.union(settings, {"blast_radius_limits": {"isolate_pod": {"services": 1}}}),
	"a negative limit": object.union(settings, {"blast_radius_limits": {"label_pod": {"pods": -1}}}),
	"no settings": {},
}

test_settings_complete_agrees_with_settings_problems if {
	verdict.settings_complete with data.soc.settings as settings
	count(verdict.settings_problems) == 0 with data.soc.settings as settings
	flagged := {name |
		some name, variant in settings_variants
		not verdict.settings_complete with data.soc.settings as variant
		count(verdict.settings_problems) > 0 with data.soc.settings as variant
	}
	object.keys(settings_variants) - flagged == set()
}

# A host that verified the settings when it loaded them says so in data.system.soc; only the
# value true skips the check, anything else checks as usual.
test_verified_settings_skip_the_check if {
	verdict.settings_complete with data.soc.settings as {}
		with data.system.soc as {"settings_verified": true}
}

test_anything_but_true_checks_the_settings if {
	every flag in [false, "true", 1, {}] {
		not verdict.settings_complete with data.soc.settings as {}
			with data.system.soc as {"settings_verified": flag}
	}
}

test_verified_settings_decide_as_checked_ones if {
	every tc in object.union(execute_cases, escalate_cases) {
		d := verdict.decision with input as case_input(tc) with data.system.bundles as bundles
		verified := verdict.decision with input as case_input(tc)
			with data.system.bundles as bundles
			with data.system.soc as {"settings_verified": true}
		d == verified
	}
}
