/** Every Kafka topic of the fleet. */
export const topics = {
  /** falcosidekick's Kafka output: Falco JSON plus `uuid`, no message key. */
  events: "falco.events",
  /**
   * `falco.events` re-keyed by the prefilter by stream (an event's image, else its container, else
   * its node), so that each stream's events are in one partition, in order, whatever the process count.
   */
  keyedEvents: "falco.events.keyed",
  /** What the prefilter forwards, keyed by namespace/pod; the coordinator opens cases from it. */
  anomalies: "soc.anomalies",
  /** Input the prefilter could not take, with the reason and the original bytes. */
  deadLetter: "falco.events.dlq",
  /** Analysts' decisions as training labels (`FeedbackLabel`), keyed by event id. */
  feedback: "soc.feedback",
} as const;
