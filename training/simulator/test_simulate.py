"""Checks that the simulated alerts are well-formed Falco/falcosidekick output with sound labels.

    python3 -m unittest discover training/simulator
"""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rules as ruleset                      # noqa: E402
import simulate                              # noqa: E402
from profiles import PROFILES                # noqa: E402

HOURS = 6                                    # short windows keep the suite quick
EPISODE_ID = re.compile(r"^ep-\d{4}-[a-z]+$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
PRIORITIES = {"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}


class SimulatorTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.rules = ruleset.load_rules()
        cls.runs = {name: simulate.generate(name, seed=11, hours=HOURS, episodes=12) for name in sorted(PROFILES)}

    def events(self):
        for name, (events, labels, _) in self.runs.items():
            for event, label in zip(events, labels):
                yield name, event, label

    def test_same_arguments_give_identical_output(self):
        first = simulate.generate("data-platform", seed=3, hours=2, episodes=3)
        second = simulate.generate("data-platform", seed=3, hours=2, episodes=3)
        other = simulate.generate("data-platform", seed=4, hours=2, episodes=3)
        self.assertEqual(json.dumps(first[:2]), json.dumps(second[:2]))
        self.assertNotEqual(json.dumps(first[0]), json.dumps(other[0]))

    def test_cli_files_are_byte_identical(self):
        with tempfile.TemporaryDirectory() as tmp:
            outputs = []
            for run in ("a", "b"):
                events, labels = os.path.join(tmp, f"{run}.jsonl"), os.path.join(tmp, f"{run}-labels.jsonl")
                simulate.main(["--profile", "regulated-quiet", "--seed", "5", "--hours", "3", "--out", events, "--labels", labels])
                with open(events, "rb") as e, open(labels, "rb") as l:
                    outputs.append((e.read(), l.read()))
            self.assertEqual(outputs[0], outputs[1])
            self.assertTrue(outputs[0][0])

    def test_rules_exist_with_their_priority_and_tags(self):
        for _, event, _ in self.events():
            rule = self.rules.get(event["rule"])
            self.assertIsNotNone(rule, event["rule"])
            self.assertTrue(rule.enabled, event["rule"])
            self.assertEqual(event["priority"], rule.priority)
            self.assertIn(event["priority"], PRIORITIES)
            self.assertEqual(sorted(event["tags"]), sorted(rule.tags))
            self.assertEqual(event["source"], rule.source)

    def test_output_fields_are_the_fields_the_rule_prints(self):
        suggested = {field for _, field in ruleset.SUGGESTED_FIELDS}
        for _, event, _ in self.events():
            rule = self.rules[event["rule"]]
            fields = event["output_fields"]
            self.assertLessEqual(set(fields), set(rule.fields) | suggested, event["rule"])
            self.assertTrue(set(rule.fields) <= set(fields), event["rule"])
            for core in ("evt.type", "proc.name", "proc.cmdline", "user.uid"):
                if core in rule.fields:
                    self.assertIsNotNone(fields[core], (event["rule"], core))

    def test_output_line_matches_fields_and_time(self):
        for _, event, _ in self.events():
            self.assertRegex(event["time"], TIME)
            self.assertTrue(event["output"].startswith(f"{event['time'][11:29]}: {event['priority']} "), event["output"][:60])
            self.assertIn(f"container_id={event['output_fields']['container.id']}", event["output"])
            self.assertIn(f"evt_type={event['output_fields']['evt.type']}", event["output"])

    def test_host_events_have_no_kubernetes_fields(self):
        hosts = 0
        for _, event, _ in self.events():
            fields = event["output_fields"]
            if fields["container.id"] == "host":
                hosts += 1
                self.assertNotIn("k8s.pod.name", fields)
                self.assertNotIn("k8s.ns.name", fields)
            else:
                self.assertRegex(fields["container.id"], r"^[0-9a-f]{12}$")
                self.assertTrue(fields["k8s.pod.name"] and fields["k8s.ns.name"])
        self.assertGreater(hosts, 0)

    def test_labels_line_up_with_events(self):
        for name, (events, labels, episodes) in self.runs.items():
            self.assertEqual(len(events), len(labels), name)
            self.assertEqual([e["uuid"] for e in events], [l["uuid"] for l in labels])
            self.assertEqual(len({e["uuid"] for e in events}), len(events))
            ids = {e.id for e in episodes}
            for label in labels:
                self.assertTrue(label["label"] == "benign" or label["label"] in ids, label)

    def test_events_are_sorted_by_time(self):
        for name, (events, _, _) in self.runs.items():
            times = [e["time"] for e in events]
            self.assertEqual(times, sorted(times), name)

    def test_every_profile_produces_episodes_of_one_to_eight_events(self):
        for name, (events, labels, episodes) in self.runs.items():
            self.assertGreater(len(episodes), 5, name)
            self.assertGreater(sum(1 for l in labels if l["label"] == "benign"), len(episodes), name)
            for episode in episodes:
                self.assertRegex(episode.id, EPISODE_ID)
                size = sum(1 for l in labels if l["label"] == episode.id)
                self.assertTrue(1 <= size <= 8, (episode.id, size))

    def test_an_episode_stays_on_one_pod_or_node(self):
        for name, (events, labels, _) in self.runs.items():
            places = {}
            for event, label in zip(events, labels):
                if label["label"] != "benign":
                    where = event["output_fields"].get("k8s.pod.name") or event["hostname"]
                    places.setdefault(label["label"], set()).add(where)
            for episode, where in places.items():
                self.assertEqual(len(where), 1, (name, episode, where))

    def test_ruleset_reader_matches_the_vendored_files(self):
        rule = self.rules["Drop and execute new binary in container"]
        self.assertEqual(rule.priority, "Critical")
        self.assertIn("maturity_stable", rule.tags)
        self.assertIn("proc.exe_ino.ctime", rule.fields)
        self.assertEqual(self.rules["System user interactive"].priority, "Informational")
        self.assertFalse(self.rules["Container Drift Detected (chmod)"].enabled)


if __name__ == "__main__":
    unittest.main()
