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
 * A caller of one repository's API (`<api><root><path>`, the root `/repos/<owner>/<name>` unless the
 * forge names it otherwise), with the forge's headers; its errors say what it was doing, on which
 * repository, never with the token.
 */
export function repoCaller(
  address: { api: string; owner: string; name: string },
  headers: Record<string, string>,
  token: string | null,
  root = `/repos/${encodeURIComponent(address.owner)}/${encodeURIComponent(address.name)}`,
) {
  return <T>(method: "GET" | "POST", path: string, what: string, body?: unknown) =>
    forgeRequest({
      method,
      url: `${address.api}${root}${path}`,
      headers,
      body,
      what: `${what} on ${address.owner}/${address.name}`,
      token,
    }) as Promise<T>;
}

/**
 * A file's text on a branch through the contents API Gitea and GitHub share
 * (`GET /repos/{owner}/{repo}/contents/{path}?ref=…`); null when the branch has no such file.
 */
export function fileContents(
  call: ReturnType<typeof repoCaller>,
  path: string,
  ref: string,
): Promise<string | null> {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return base64File(() =>
    call<{ content?: string }>(
      "GET",
      `/contents/${encoded}?ref=${encodeURIComponent(ref)}`,
      `read ${path} on ${ref}`,
    ),
  );
}

/** A file a forge's API answers with its content in base64; null when it answers that there is none. */
export async function base64File(read: () => Promise<{ content?: string }>): Promise<string | null> {
  try {
    return Buffer.from((await read()).content ?? "", "base64").toString("utf8");
  } catch (error) {
    if (SocError.from(error).code === "forge_not_found") return null;
    throw error;
  }
}
