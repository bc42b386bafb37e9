package soc.verdict_test

import data.soc.verdict

version := "2026.11.24-1"

# An input that auto-executes: every case below patches (object.union, recursive)
# and/or removes fields (json.remove) from it.
base_input := {
	"action": {
		"type": "isolate_pod",
		"target": {
			"kind": "Pod",
			"namespace": "shop",
			"name": "checkout-7d9f8",
			"labels": {"app": "checkout"},
			"image": "docker.io/library/nginx:1.27",
		},
	},
	"blast_radius": {"pods": 1, "nodes": 1, "namespaces": 1},
	"confidence": 0.9,
	"technique": "T1059.004",
	"severity": "high",
	"asset_tags": [],
}

case_input(tc) := json.remove(object.union(base_input, object.get(tc, "patch", {})), object.get(tc, "remove", []))

# Cases whose decision differs from the expectation, with the decision got
# ("undefined" when there was none, so such a case is reported, not skipped).
# `decided` is computed in each test: a function body using `with` breaks
# `opa build -t wasm` (OPA 1.22.2: "function ... used as reference, not called").
failures(cases, decided) := {name: got |
	some name, tc in cases
	got := object.get(decided, name, "undefined")
	not matches(got, tc)
}

matches(got, tc) if {
	got.outcome == tc.outcome
	got.reasons == tc.reasons
	got.policy_version == version
}

target(kind, namespace, image) := {"action": {"target": {"kind": kind, "namespace": namespace, "image": image}}}

# --- auto_execute ------------------------------------------------------------

execute_cases := {
	"isolate_pod, severity high": {
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"isolate_pod, severity medium": {
		"patch": {"severity": "medium"},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"label_pod, severity high": {
		"patch": {"action": {"type": "label_pod"}},
		"outcome": "auto_execute",
		"reasons": ["action label_pod allowed within limits"],
	},
	"label_pod, severity medium": {
		"patch": {"action": {"type": "label_pod"}, "severity": "medium"},
		"outcome": "auto_execute",
		"reasons": ["action label_pod allowed within limits"],
	},
	"isolate_pod, severity critical is allowed": {
		"patch": {"severity": "critical"},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"label_pod, severity critical is allowed": {
		"patch": {"action": {"type": "label_pod"}, "severity": "critical"},
		"outcome": "auto_execute",
		"reasons": ["action label_pod allowed within limits"],
	},
	"confidence exactly at the threshold": {
		"patch": {"confidence": 0.8},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"terminate_pod within limits": {
		"patch": {"action": {"type": "terminate_pod"}, "severity": "low"},
		"outcome": "auto_execute",
		"reasons": ["action terminate_pod allowed within limits"],
	},
	"scale_to_zero at its limit": {
		"patch": {
			"action": {"type": "scale_to_zero", "target": {"kind": "Deployment"}},
			"blast_radius": {"pods": 5, "nodes": 3, "namespaces": 1},
		},
		"outcome": "auto_execute",
		"reasons": ["action scale_to_zero allowed within limits"],
	},
	"blast radius of zero": {
		"patch": {"blast_radius": {"pods": 0, "nodes": 0, "namespaces": 0}},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"null namespace and image": {
		"patch": target("Pod", null, null),
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"image with 'dex' inside a word is not Dex": {
		"patch": target("Pod", "shop", "ghcr.io/example/index-server:1.0"),
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"image named vaultwarden is not Vault": {
		"patch": target("Pod", "shop", "docker.io/vaultwarden/server"),
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"label always-escalate=false": {
		"patch": {"action": {"target": {"labels": {"soc.fleet/always-escalate": "false"}}}},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"label asset-class=internal": {
		"patch": {"action": {"target": {"labels": {"soc.fleet/asset-class": "internal"}}}},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"ordinary asset tags": {
		"patch": {"asset_tags": ["web", "payments-team"]},
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"non-destructive action in a protected namespace that is not always escalated": {
		"patch": target("Pod", "kube-public", "docker.io/library/busybox"),
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"technique is not required": {
		"remove": ["technique"],
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
}

test_auto_execute_cases if {
	decided := {name: d | some name, tc in execute_cases; d := verdict.decision with input as case_input(tc)}
	failed := failures(execute_cases, decided)
	failed == {}
}

# --- auto_reject -------------------------------------------------------------

reject_cases := {
	"no action": {
		"patch": {
			"action": {"type": "none", "target": {"kind": "None", "namespace": null, "name": null, "labels": {}, "image": null}},
			"blast_radius": {"pods": 0, "nodes": 0, "namespaces": 0},
		},
		"outcome": "auto_reject",
		"reasons": ["no response action proposed"],
	},
	"action not in the allowed set": {
		"patch": {"action": {"type": "delete_namespace"}},
		"outcome": "auto_reject",
		"reasons": ["action delete_namespace is not an allowed action"],
	},
	"terminate_pod in kube-system": {
		"patch": {"action": {"type": "terminate_pod", "target": {"namespace": "kube-system"}}},
		"outcome": "auto_reject",
		"reasons": ["destructive action terminate_pod on protected namespace kube-system is not allowed"],
	},
	"scale_to_zero in kube-public": {
		"patch": {"action": {"type": "scale_to_zero", "target": {"kind": "Deployment", "namespace": "kube-public"}}},
		"outcome": "auto_reject",
		"reasons": ["destructive action scale_to_zero on protected namespace kube-public is not allowed"],
	},
	"cordon_node in kube-node-lease": {
		"patch": {"action": {"type": "cordon_node", "target": {"kind": "Node", "namespace": "kube-node-lease"}}},
		"outcome": "auto_reject",
		"reasons": ["destructive action cordon_node on protected namespace kube-node-lease is not allowed"],
	},
}

test_auto_reject_cases if {
	decided := {name: d | some name, tc in reject_cases; d := verdict.decision with input as case_input(tc)}
	failed := failures(reject_cases, decided)
	failed == {}
}

# --- escalate ----------------------------------------------------------------

escalate_cases := {
	"confidence below threshold": {
		"patch": {"confidence": 0.55},
		"outcome": "escalate",
		"reasons": ["confidence 0.55 below threshold 0.8"],
	},
	"confidence 0.6 on an allowed action in shop": {
		"patch": {"confidence": 0.6},
		"outcome": "escalate",
		"reasons": ["confidence 0.6 below threshold 0.8"],
	},
	"namespace identity": {
		"patch": {"action": {"target": {"namespace": "identity"}}},
		"outcome": "escalate",
		"reasons": ["namespace identity is always escalated"],
	},
	"namespace kube-system, non-destructive action": {
		"patch": {"action": {"target": {"namespace": "kube-system"}}},
		"outcome": "escalate",
		"reasons": ["namespace kube-system is always escalated"],
	},
	"image keycloak (quay.io)": {
		"patch": target("Pod", "shop", "quay.io/keycloak/keycloak"),
		"outcome": "escalate",
		"reasons": ["image quay.io/keycloak/keycloak is an identity store"],
	},
	"image keycloak (bitnami, tag)": {
		"patch": target("Pod", "shop", "bitnami/keycloak:26.0.5"),
		"outcome": "escalate",
		"reasons": ["image bitnami/keycloak:26.0.5 is an identity store"],
	},
	"image dex": {
		"patch": target("Pod", "shop", "ghcr.io/dexidp/dex:v2.41.1"),
		"outcome": "escalate",
		"reasons": ["image ghcr.io/dexidp/dex:v2.41.1 is an identity store"],
	},
	"image dex behind a registry port": {
		"patch": target("Pod", "shop", "registry.local:5000/dex"),
		"outcome": "escalate",
		"reasons": ["image registry.local:5000/dex is an identity store"],
	},
	"image vault with digest": {
		"patch": target("Pod", "shop", "hashicorp/vault@sha256:0123456789abcdef"),
		"outcome": "escalate",
		"reasons": ["image hashicorp/vault@sha256:0123456789abcdef is an identity store"],
	},
	"image vault-k8s, upper case": {
		"patch": target("Pod", "shop", "Docker.io/HashiCorp/Vault-K8s:1.4"),
		"outcome": "escalate",
		"reasons": ["image Docker.io/HashiCorp/Vault-K8s:1.4 is an identity store"],
	},
	"label always-escalate=true": {
		"patch": {"action": {"target": {"labels": {"soc.fleet/always-escalate": "true"}}}},
		"outcome": "escalate",
		"reasons": ["label soc.fleet/always-escalate=true is always escalated"],
	},
	"label asset-class=customer-facing": {
		"patch": {"action": {"target": {"labels": {"soc.fleet/asset-class": "customer-facing"}}}},
		"outcome": "escalate",
		"reasons": ["label soc.fleet/asset-class=customer-facing is always escalated"],
	},
	"label asset-class=compliance": {
		"patch": {"action": {"target": {"labels": {"soc.fleet/asset-class": "compliance"}}}},
		"outcome": "escalate",
		"reasons": ["label soc.fleet/asset-class=compliance is always escalated"],
	},
	"asset tag control-plane": {
		"patch": {"asset_tags": ["web", "control-plane"]},
		"outcome": "escalate",
		"reasons": ["asset tag control-plane is always escalated"],
	},
	"asset tag identity-store": {
		"patch": {"asset_tags": ["identity-store"]},
		"outcome": "escalate",
		"reasons": ["asset tag identity-store is always escalated"],
	},
	"asset tag customer-facing": {
		"patch": {"asset_tags": ["customer-facing"]},
		"outcome": "escalate",
		"reasons": ["asset tag customer-facing is always escalated"],
	},
	"asset tag compliance-sensitive": {
		"patch": {"asset_tags": ["compliance-sensitive"]},
		"outcome": "escalate",
		"reasons": ["asset tag compliance-sensitive is always escalated"],
	},
	"blast radius pods above limit": {
		"patch": {"blast_radius": {"pods": 3}},
		"outcome": "escalate",
		"reasons": ["blast radius pods 3 exceeds limit 1 for isolate_pod"],
	},
	"blast radius nodes and namespaces above limit": {
		"patch": {"action": {"type": "label_pod"}, "blast_radius": {"nodes": 2, "namespaces": 2}},
		"outcome": "escalate",
		"reasons": [
			"blast radius namespaces 2 exceeds limit 1 for label_pod",
			"blast radius nodes 2 exceeds limit 1 for label_pod",
		],
	},
	"terminate_pod on two pods": {
		"patch": {"action": {"type": "terminate_pod"}, "blast_radius": {"pods": 2}},
		"outcome": "escalate",
		"reasons": ["blast radius pods 2 exceeds limit 1 for terminate_pod"],
	},
	"scale_to_zero above its limit": {
		"patch": {"action": {"type": "scale_to_zero", "target": {"kind": "Deployment"}}, "blast_radius": {"pods": 6}},
		"outcome": "escalate",
		"reasons": ["blast radius pods 6 exceeds limit 5 for scale_to_zero"],
	},
	"cordon_node always escalates": {
		"patch": {
			"action": {"type": "cordon_node", "target": {"kind": "Node", "namespace": null, "name": "node-3", "image": null}},
			"blast_radius": {"pods": 4, "nodes": 1, "namespaces": 2},
			"severity": "medium",
		},
		"outcome": "escalate",
		"reasons": [
			"action cordon_node always needs a human (all blast radius limits are 0)",
			"blast radius namespaces 2 exceeds limit 0 for cordon_node",
			"blast radius nodes 1 exceeds limit 0 for cordon_node",
			"blast radius pods 4 exceeds limit 0 for cordon_node",
		],
	},
	"cordon_node escalates even with a zero blast radius": {
		"patch": {
			"action": {"type": "cordon_node", "target": {"kind": "Node", "namespace": null, "image": null}},
			"blast_radius": {"pods": 0, "nodes": 0, "namespaces": 0},
		},
		"outcome": "escalate",
		"reasons": ["action cordon_node always needs a human (all blast radius limits are 0)"],
	},
	"severity critical with terminate_pod": {
		"patch": {"action": {"type": "terminate_pod"}, "severity": "critical"},
		"outcome": "escalate",
		"reasons": ["severity critical requires a human for terminate_pod"],
	},
	"severity critical with scale_to_zero": {
		"patch": {"action": {"type": "scale_to_zero", "target": {"kind": "Deployment"}}, "severity": "critical"},
		"outcome": "escalate",
		"reasons": ["severity critical requires a human for scale_to_zero"],
	},
	"several reasons at once, sorted": {
		"patch": {
			"action": {"target": {"namespace": "identity", "image": "quay.io/keycloak/keycloak", "labels": {"soc.fleet/asset-class": "compliance"}}},
			"blast_radius": {"pods": 2},
			"confidence": 0.3,
			"asset_tags": ["identity-store"],
		},
		"outcome": "escalate",
		"reasons": [
			"asset tag identity-store is always escalated",
			"blast radius pods 2 exceeds limit 1 for isolate_pod",
			"confidence 0.3 below threshold 0.8",
			"image quay.io/keycloak/keycloak is an identity store",
			"label soc.fleet/asset-class=compliance is always escalated",
			"namespace identity is always escalated",
		],
	},
}

test_escalate_cases if {
	decided := {name: d | some name, tc in escalate_cases; d := verdict.decision with input as case_input(tc)}
	failed := failures(escalate_cases, decided)
	failed == {}
}

# --- precedence: auto_reject > escalate > auto_execute -------------------------

precedence_cases := {
	"reject beats escalate: none with low confidence and critical severity": {
		"patch": {
			"action": {"type": "none", "target": {"kind": "None", "namespace": "kube-system"}},
			"confidence": 0.1,
			"severity": "critical",
			"asset_tags": ["control-plane"],
		},
		"outcome": "auto_reject",
		"reasons": ["no response action proposed"],
	},
	"reject beats escalate: destructive action in kube-system, which is also always escalated": {
		"patch": {"action": {"type": "terminate_pod", "target": {"namespace": "kube-system"}}, "confidence": 0.2, "severity": "critical"},
		"outcome": "auto_reject",
		"reasons": ["destructive action terminate_pod on protected namespace kube-system is not allowed"],
	},
	"reject beats incomplete input: unknown action without the other fields": {
		"patch": {"action": {"type": "rm_rf"}},
		"remove": ["confidence", "severity", "blast_radius"],
		"outcome": "auto_reject",
		"reasons": ["action rm_rf is not an allowed action"],
	},
	"escalate beats auto_execute: one reason is enough": {
		"patch": {"asset_tags": ["compliance-sensitive"]},
		"outcome": "escalate",
		"reasons": ["asset tag compliance-sensitive is always escalated"],
	},
}

test_precedence_cases if {
	decided := {name: d | some name, tc in precedence_cases; d := verdict.decision with input as case_input(tc)}
	failed := failures(precedence_cases, decided)
	failed == {}
}

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
	got := {name: d |
		some name, raw in raw_inputs
		d := verdict.decision with input as raw
	}
	every d in got {
		d == {"outcome": "escalate", "reasons": [all_fields_missing], "policy_version": version}
	}
	count(got) == count(raw_inputs)
}

test_no_input_at_all_escalates if {
	verdict.decision == {"outcome": "escalate", "reasons": [all_fields_missing], "policy_version": version}
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
		"reasons": ["input incomplete: missing or malformed action.target.image, action.target.labels, action.target.namespace"],
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
		"reasons": ["input incomplete: missing or malformed blast_radius.namespaces, blast_radius.nodes, blast_radius.pods"],
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
	decided := {name: d | some name, tc in incomplete_cases; d := verdict.decision with input as case_input(tc)}
	failed := failures(incomplete_cases, decided)
	failed == {}
}

# --- settings (data.soc.settings) --------------------------------------------

# Tests replace data.soc.settings as a whole: in OPA 1.22.2 `with data.soc.settings.x as {...}`
# is merged into, not substituted for, the object that verdict.rego reads through `settings`.

settings := data.soc.settings

test_policy_version_comes_from_data if {
	verdict.decision.policy_version == settings.policy_version with input as base_input
	verdict.decision.policy_version == "2099.01.01-7" with input as base_input
		with data.soc.settings as object.union(settings, {"policy_version": "2099.01.01-7"})
}

test_threshold_comes_from_data if {
	verdict.decision.outcome == "auto_execute" with input as object.union(base_input, {"confidence": 0.6})
		with data.soc.settings as object.union(settings, {"confidence_threshold": 0.5})
}

test_missing_settings_never_auto_execute if {
	d := verdict.decision with input as base_input with data.soc.settings as {}
	d.outcome == "escalate"
	d.policy_version == "unknown"
	d.reasons == [concat("", [
		"policy settings incomplete: missing or malformed allowed_actions, always_escalate.asset_tags, ",
		"always_escalate.images, always_escalate.labels, always_escalate.namespaces, blast_radius_limits, ",
		"confidence_threshold, critical_severity_actions, destructive_actions, policy_version, protected_namespaces",
	])]
}

test_malformed_settings_escalate if {
	bad := object.union(settings, {
		"always_escalate": {"images": ["keycloak", "("], "labels": {"soc.fleet/asset-class": "compliance"}},
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
	d := verdict.decision with input as case_input(tc) with data.soc.settings as object.union(settings, {"allowed_actions": allowed})
	d.outcome == "auto_reject"
	d.reasons == [
		"action terminate_pod is not an allowed action",
		"destructive action terminate_pod on protected namespace kube-system is not allowed",
	]
}

test_anomaly_threshold_is_in_settings if {
	is_number(settings.anomaly_threshold)
	settings.anomaly_threshold > 0
	settings.anomaly_threshold < 1
}

# The last-resort default: never auto_execute when no rule said so.
test_fallback_is_escalate if {
	d := verdict.decision with input as {"action": {"type": "none"}}
		with verdict.reject_reasons as set()
		with verdict.escalate_reasons as set()
	d == {"outcome": "escalate", "reasons": ["no rule allowed automatic execution"], "policy_version": version}
}

# --- documented examples (policies/README.md) --------------------------------

example_auto_execute := {
	"action": {
		"type": "isolate_pod",
		"target": {
			"kind": "Pod",
			"namespace": "shop",
			"name": "checkout-7d9f8",
			"labels": {"app": "checkout"},
			"image": "docker.io/library/nginx",
		},
	},
	"blast_radius": {"pods": 1, "nodes": 1, "namespaces": 1},
	"confidence": 0.9,
	"technique": "T1059.004",
	"severity": "high",
	"asset_tags": [],
}

example_escalate := {
	"action": {
		"type": "isolate_pod",
		"target": {
			"kind": "Pod",
			"namespace": "identity",
			"name": "keycloak-0",
			"labels": {"app": "keycloak"},
			"image": "quay.io/keycloak/keycloak",
		},
	},
	"blast_radius": {"pods": 1, "nodes": 1, "namespaces": 1},
	"confidence": 0.95,
	"technique": "T1078",
	"severity": "critical",
	"asset_tags": ["identity-store"],
}

example_auto_reject := {
	"action": {
		"type": "none",
		"target": {"kind": "None", "namespace": null, "name": null, "labels": {}, "image": null},
	},
	"blast_radius": {"pods": 0, "nodes": 0, "namespaces": 0},
	"confidence": 0.4,
	"technique": null,
	"severity": "low",
	"asset_tags": [],
}

test_documented_example_auto_execute if {
	verdict.decision == {
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
		"policy_version": "2026.11.24-1",
	} with input as example_auto_execute
}

test_documented_example_escalate if {
	verdict.decision == {
		"outcome": "escalate",
		"reasons": [
			"asset tag identity-store is always escalated",
			"image quay.io/keycloak/keycloak is an identity store",
			"namespace identity is always escalated",
		],
		"policy_version": "2026.11.24-1",
	} with input as example_escalate
}

test_documented_example_auto_reject if {
	verdict.decision == {
		"outcome": "auto_reject",
		"reasons": ["no response action proposed"],
		"policy_version": "2026.11.24-1",
	} with input as example_auto_reject
}
