/**
 * Falco fields are attacker-controlled: a process name, a file path or a command line can say
 * `@channel`, `<!here>`, `[link](…)` or `![img](…)`. Mattermost does not honour a backslash
 * before a mention, but nothing inside a code span is parsed: no mention, link, image or markup.
 * So every such value reaches Mattermost as one inline code span whose fence is longer than any
 * run of backticks inside it, on one line, without invisible characters, and truncated.
 */
export function inert(value: string | null | undefined, max = 200): string {
  if (value === null || value === undefined || value === "") return "`-`";
  const flat = value
    // Line breaks end a code span: one line only.
    .replace(/[\r\n\u2028\u2029\u0085]+/g, " ")
    // Other control characters, zero-width and bidi marks: they hide or reorder what is shown.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, "");
  // By code point, so truncation never splits a surrogate pair.
  const chars = Array.from(flat);
  const text = chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : flat;
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  // A span that starts or ends with a backtick needs a space inside its fence (CommonMark).
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Lines of text from outside (a drafted rules file quoting Falco fields) as one fenced code block
 * that no line of it can close, without control characters, and at most `maxLines` lines.
 */
export function inertBlock(text: string, language = "", maxLines = 40): string {
  const clean = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g,
    "",
  );
  const lines = clean.trimEnd().split("\n");
  const shown = lines.length > maxLines ? [...lines.slice(0, maxLines), "…"] : lines;
  const longestRun = Math.max(2, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return [`${fence}${language}`, ...shown, fence].join("\n");
}

/** Mattermost's limit for one post's message, in characters. */
export const MAX_POST_LENGTH = 16_383;

/**
 * Splits text into messages that fit in a post, at line boundaries where it can (a line longer
 * than the limit is cut).
 */
export function splitMessage(text: string, limit = MAX_POST_LENGTH): string[] {
  const messages: string[] = [];
  let current = "";
  for (const line of text.split("\n")) {
    for (let piece = line; ;) {
      const candidate = current ? `${current}\n${piece}` : piece;
      if (candidate.length <= limit) {
        current = candidate;
        break;
      }
      if (current) {
        messages.push(current);
        current = "";
        continue;
      }
      messages.push(piece.slice(0, limit));
      piece = piece.slice(limit);
      if (!piece) break;
    }
  }
  if (current || messages.length === 0) messages.push(current);
  return messages;
}
