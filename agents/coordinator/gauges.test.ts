import { expect, it } from "vitest";
import { clientComponentForTests } from "../../test/fakes.js";
import { escalatedCase } from "../../test/fixtures.js";
import { exportCaseGauges } from "./gauges.js";

it("exports every status's count and the ages of the oldest untriaged case and of the oldest awaiting a human, when scraped", async () => {
  const component = clientComponentForTests("coordinator");
  let waiting: typeof escalatedCase | null = escalatedCase;
  let untriaged: typeof escalatedCase | null = {
    ...escalatedCase,
    status: "open",
    created_at: new Date(Date.parse(escalatedCase.created_at) + 30_000).toISOString(),
  };
  const store = {
    counts: () => Promise.resolve({ open: 2, awaiting_human: 1 }),
    oldestWaiting: () => Promise.resolve(waiting),
    oldestUntriaged: () => Promise.resolve(untriaged),
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
    'soc_case_oldest_untriaged_seconds{component="coordinator"} 60',
    'soc_case_oldest_awaiting_seconds{component="coordinator"} 90',
  ]);
  waiting = null;
  untriaged = null;
  expect(await scrape()).toEqual(
    expect.arrayContaining([
      'soc_case_oldest_awaiting_seconds{component="coordinator"} 0',
      'soc_case_oldest_untriaged_seconds{component="coordinator"} 0',
    ]),
  );
});
