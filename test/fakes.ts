import { offlineComponent, type Component } from "../runtime/component.js";

/** A component for unit tests: silent logs, its own metrics registry, no certificate, no network. */
export function clientComponentForTests(name: string): Component {
  return offlineComponent(name);
}
