import { describe, expect, it } from "vitest";
import { parseEventTime } from "./time.js";

describe("parseEventTime", () => {
  it("reads Falco's nine fraction digits, truncated to the millisecond", () => {
    expect(parseEventTime("2026-11-24T09:00:04.479964759Z")).toBe(Date.parse("2026-11-24T09:00:04.479Z"));
    expect(parseEventTime("2026-11-24T09:00:04.999999999Z")).toBe(Date.parse("2026-11-24T09:00:04.999Z"));
  });

  it("reads falcosidekick's trimmed fractions and times without a fraction", () => {
    expect(parseEventTime("2026-11-24T09:00:04.4Z")).toBe(Date.parse("2026-11-24T09:00:04.400Z"));
    expect(parseEventTime("2026-11-24T09:00:04.47Z")).toBe(Date.parse("2026-11-24T09:00:04.470Z"));
    expect(parseEventTime("2026-11-24T09:00:04Z")).toBe(Date.parse("2026-11-24T09:00:04Z"));
  });

  it("applies a UTC offset", () => {
    expect(parseEventTime("2026-11-24T10:30:00.5+01:30")).toBe(Date.parse("2026-11-24T09:00:00.500Z"));
    expect(parseEventTime("2026-11-24T04:00:00-05:00")).toBe(Date.parse("2026-11-24T09:00:00Z"));
  });

  it("agrees with Date for a spread of instants, leap days and years before 1970 included", () => {
    const disagreements: string[] = [];
    for (let ms = Date.parse("1960-02-29T23:59:59.999Z"); ms < Date.parse("2101-01-01Z"); ms += 86_399_937) {
      const iso = new Date(ms).toISOString();
      const nanos = iso.replace("Z", "123456Z");
      if (parseEventTime(nanos) !== ms) disagreements.push(nanos);
    }
    expect(disagreements).toEqual([]);
  });

  it("knows the length of each month, leap years included", () => {
    expect(parseEventTime("2024-02-29T00:00:00Z")).toBe(Date.parse("2024-02-29T00:00:00Z"));
    expect(parseEventTime("2000-02-29T00:00:00Z")).toBe(Date.parse("2000-02-29T00:00:00Z"));
    // Date.parse rolls these over into the next month; an event time that does not exist is refused.
    for (const text of ["2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z"]) {
      expect(parseEventTime(text), text).toBeNaN();
    }
  });

  it("is NaN for anything of another shape", () => {
    for (const text of [
      "",
      "2026-11-24 09:00:00Z",
      "2026-11-24T09:00:00",
      "2026-11-24T09:00:00.Z",
      "2026-11-24T09:00:00.1234567890Z",
      "2026-13-24T09:00:00Z",
      "2026-11-24T24:00:00Z",
      "2026-11-24T09:00:00+0100",
      "2026-11-24T09:00:00Zjunk",
      "2026/11/24T09:00:00Z",
      "２026-11-24T09:00:00Z",
    ]) {
      expect(parseEventTime(text), text).toBeNaN();
    }
  });
});
