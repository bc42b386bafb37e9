/** The judging thread's entry: one Judge per prefilter process, built from the options it was started with. */
import { serveThread } from "../../runtime/thread.js";
import { buildJudge, type JudgeOptions } from "./judge.js";

serveThread((options) => buildJudge(options as JudgeOptions));
