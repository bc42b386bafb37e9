/** Every Kafka topic of the fleet. */
export const topics = {
  /** falcosidekick's Kafka output: Falco JSON plus `uuid`, no message key. */
  events: "falco.events",
  /** What the prefilter forwards, keyed by namespace/pod; the coordinator opens cases from it. */
  anomalies: "soc.anomalies",
  /** Input the prefilter could not take, with the reason and the original bytes. */
  deadLetter: "falco.events.dlq",
  /** Analysts' decisions as training labels (`FeedbackLabel`), keyed by event id. */
  feedback: "soc.feedback",
} as const;
