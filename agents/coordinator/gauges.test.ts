import { expect, it } from "vitest";
import { clientComponentForTests } from "../../test/fakes.js";
import { escalatedCase } from "../../test/fixtures.js";
import { exportCaseGauges } from "./gauges.js";

it("exports every status's count and the age of the oldest case awaiting a human, when scraped", async () => {
  const component = clientComponentForTests("coordinator");
  let waiting: typeof escalatedCase | null = escalatedCase;
  const store = {
    counts: () => Promise.resolve({ open: 2, awaiting_human: 1 }),
    oldestWaiting: () => Promise.resolve(waiting),
  };
  const opened = Date.parse(escalatedCase.created_at);
  exportCaseGauges(component, store, () => opened + 90_000);
  const scrape = async () =>
    (await component.metrics.registry.metrics()).split("\n").filter((l) => l.startsWith("soc_case"));
  expect(await scrape()).toEqual([
    'soc_cases{status="open",component="coordinator"} 2',
    'soc_cases{status="reviewing",component="coordinator"} 0',
    'soc_cases{status="awaiting_human",component="coordinator"} 1',
    'soc_cases{status="executing",component="coordinator"} 0',
    'soc_cases{status="closed",component="coordinator"} 0',
    'soc_case_oldest_awaiting_seconds{component="coordinator"} 90',
  ]);
  waiting = null;
  expect(await scrape()).toContain('soc_case_oldest_awaiting_seconds{component="coordinator"} 0');
});
