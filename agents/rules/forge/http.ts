import { SocError } from "../../../runtime/errors.js";

/** How long one call to a forge's API may take. */
const TIMEOUT_MS = 15_000;

export interface ForgeCall {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** What the call does, for the error: "open a pull request on security/falco-rules". */
  what: string;
  /** The token, kept out of any message. */
  token: string | null;
}

/**
 * Calls a forge's JSON API. A non-2xx answer throws a SocError with the status and the forge's own
 * message; a server error, a rate limit or a network failure is marked retryable.
 */
export async function forgeRequest(call: ForgeCall): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: {
        ...call.headers,
        ...(call.body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SocError("forge_unreachable", redact(`failed to ${call.what}: ${reason}`, call.token), {
      retryable: true,
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) {
    const message = redact(`failed to ${call.what}: ${response.status} ${forgeMessage(text)}`, call.token);
    const retryable = response.status >= 500 || response.status === 429;
    throw new SocError(response.status === 404 ? "forge_not_found" : "forge_request_failed", message, {
      retryable,
    });
  }
  return text === "" ? null : (JSON.parse(text) as unknown);
}

/** The forge's explanation: `message` (Gitea and GitHub), with GitHub's `errors[].message`. */
function forgeMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: { message?: unknown }[] };
    const details = (Array.isArray(body.errors) ? body.errors : [])
      .map((error) => error.message)
      .filter((message): message is string => typeof message === "string");
    if (typeof body.message === "string") return [body.message, ...details].join(": ");
  } catch {
    // Not JSON: a proxy's page, for one; its text is the message.
  }
  return text.trim().slice(0, 300);
}

function redact(text: string, token: string | null): string {
  return token ? text.replaceAll(token, "***") : text;
}

/**
 * A caller of one repository's API (`<api>/repos/<owner>/<name><path>`), with the forge's headers;
 * its errors say what it was doing, on which repository, never with the token.
 */
export function repoCaller(
  address: { api: string; owner: string; name: string },
  headers: Record<string, string>,
  token: string | null,
) {
  const repo = `${encodeURIComponent(address.owner)}/${encodeURIComponent(address.name)}`;
  return <T>(method: "GET" | "POST", path: string, what: string, body?: unknown) =>
    forgeRequest({
      method,
      url: `${address.api}/repos/${repo}${path}`,
      headers,
      body,
      what: `${what} on ${address.owner}/${address.name}`,
      token,
    }) as Promise<T>;
}

/**
 * A file's text on a branch through the contents API Gitea and GitHub share
 * (`GET /repos/{owner}/{repo}/contents/{path}?ref=…`, base64); null when the branch has no such file.
 */
export async function fileContents(
  call: ReturnType<typeof repoCaller>,
  path: string,
  ref: string,
): Promise<string | null> {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  try {
    const file = await call<{ content?: string }>(
      "GET",
      `/contents/${encoded}?ref=${encodeURIComponent(ref)}`,
      `read ${path} on ${ref}`,
    );
    return Buffer.from(file.content ?? "", "base64").toString("utf8");
  } catch (error) {
    if (SocError.from(error).code === "forge_not_found") return null;
    throw error;
  }
}
