package soc.verdict_test

import data.soc.verdict

# Shared by every verdict test file (one package): the base input, how a case
# patches it, how decisions are compared. Policies are tested as a bundle would
# load them: data.system.bundles carries the .manifest that policy_version reads.

version := "2026.12.06-1"

bundles := {"policies": {"manifest": {"revision": version, "roots": ["soc"]}}}

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

# Each table test collects the cases whose decision matches and compares that set
# with every case name, so a case without a decision fails rather than being
# skipped (`opa test --var-values` shows the names left over). `with` stays in the
# test rules: a function body using it does not build to Wasm and Regal flags it.
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
	"an image whose name starts with vault is not Vault": {
		"patch": target("Pod", "shop", "ghcr.io/dani-garcia/vaultwarden:1.32"),
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
	},
	"an image whose name starts with dex is not Dex": {
		"patch": target("Pod", "shop", "docker.io/acme/dexter"),
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
	passed := {name |
		some name, tc in execute_cases
		d := verdict.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(execute_cases) - passed == set()
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
	passed := {name |
		some name, tc in reject_cases
		d := verdict.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(reject_cases) - passed == set()
}
