import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import { falcoEvent } from "./features/fixture.js";
import { streamKey } from "./features/stream.js";
import { keyOf } from "./rekey.js";

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("the re-keying stage's key and time", () => {
  it("is the event's stream: its image, else its container, else its node", () => {
    const image = falcoEvent({
      fields: { "container.image.repository": "ghcr.io/acme/shop", "container.id": "c1" },
    });
    const noImage = falcoEvent({ fields: { "container.image.repository": null, "container.id": "c2" } });
    const host = falcoEvent({ fields: { "container.image.repository": null, "container.id": "host" } });
    const audit = falcoEvent({ fields: { "container.image.repository": null, "container.id": null } });
    expect(keyOf(body(image)).key).toBe("ghcr.io/acme/shop");
    expect(keyOf(body(noImage)).key).toBe("\u0000container\u0000c2");
    expect(keyOf(body(host)).key).toBe(`\u0000host\u0000${host.hostname}`);
    expect(keyOf(body({ ...host, hostname: "worker-b2" })).key).toBe("\u0000host\u0000worker-b2");
    expect(keyOf(body(audit)).key).toBe(`\u0000host\u0000${audit.hostname}`);
    // The same stream the feature extractor keys its windows by, read from the validated event.
    for (const event of [image, noImage, host, audit]) {
      const validated = FalcoEvent.parse(JSON.parse(JSON.stringify(event)));
      expect(keyOf(body(event)).key).toBe(streamKey(validated.output_fields, validated.hostname));
    }
  });

  it("reads the event time in ms, and −∞ when there is none to read (such an event goes first)", () => {
    const event = falcoEvent({ at: 1_500 });
    expect(keyOf(body(event)).time).toBe(Date.parse(event.time));
    expect(keyOf(body({ ...event, time: "yesterday" })).time).toBe(Number.NEGATIVE_INFINITY);
    expect(keyOf(Buffer.from("{not json")).time).toBe(Number.NEGATIVE_INFINITY);
  });

  it("keys an attacker's endless image name by its SHA-256, and what is not an event by the empty key", () => {
    const long = falcoEvent({ fields: { "container.image.repository": "x".repeat(10_000) } });
    expect(keyOf(body(long)).key).toMatch(/^[0-9a-f]{64}$/);
    for (const bad of [
      Buffer.from("{not json"),
      body([1, 2]),
      body("text"),
      body({ output_fields: [] }),
      null,
    ])
      expect(keyOf(bad).key).toBe("");
  });
});
