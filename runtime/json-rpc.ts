/** Whether `value` is a JSON-RPC 2.0 message (a request, a notification or a response). */
export function isJsonRpc(value: unknown): boolean {
  return value !== null && typeof value === "object" && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
}
