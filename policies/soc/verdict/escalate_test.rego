package soc.verdict_test

import data.soc.verdict

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
			"action": {"target": {
				"namespace": "identity",
				"image": "quay.io/keycloak/keycloak",
				"labels": {"soc.fleet/asset-class": "compliance"},
			}},
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
	passed := {name |
		some name, tc in escalate_cases
		d := verdict.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(escalate_cases) - passed == set()
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
		"patch": {
			"action": {"type": "terminate_pod", "target": {"namespace": "kube-system"}},
			"confidence": 0.2,
			"severity": "critical",
		},
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
	passed := {name |
		some name, tc in precedence_cases
		d := verdict.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(precedence_cases) - passed == set()
}
