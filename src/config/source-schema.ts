/** The `sources:` part of the config (issue 33): trackers whose issues become parts. */
import { z } from "zod";

const Duration = (example: string) =>
  z.string().regex(/^\d+(ms|s|m|h)$/, { message: `a duration such as ${example}` });
const PositiveDuration = (example: string) =>
  Duration(example).refine((d) => !/^0+(ms|s|m|h)$/.test(d), {
    message: `must be more than zero (a duration such as ${example}); remove the key for the default`,
  });

/** A secret the host reads (never given to an agent): an environment variable, a file or a command. */
const HostSecret = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ command: z.array(z.string()).min(1) }),
]);

/** What every tracker source shares: which issues it imports, and what it writes back. */
const SourceCommon = {
  label: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .describe('Only issues carrying this label are imported (case-insensitive); default "ballador"'),
  assignee: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Only issues assigned to this person; "@me" (default): the token\'s owner; "*": anyone'),
  close_on: z
    .enum(["merged", "never"])
    .optional()
    .describe('"merged" (default) closes the issue when its task is merged; "never" leaves it open'),
  claim: z
    .boolean()
    .optional()
    .describe("Mark imported issues with a claim label carrying the instance id (default true)"),
};

const SourceTimeouts = z.strictObject({
  list: PositiveDuration('"60s"').optional(),
  get: PositiveDuration('"30s"').optional(),
  mark: PositiveDuration('"30s"').optional(),
});

/** One tracker that issues come from (issue 33). */
export const SourceSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("github"),
    repo: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}\/[A-Za-z0-9._-]{1,100}$/, {
        message: "OWNER/NAME, such as acme/widgets",
      })
      .optional()
      .describe("OWNER/NAME on the forge; default: the one of the remote's URL"),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/, { message: "a host name such as github.com" })
      .optional()
      .describe("The forge's host; default: the remote's, or github.com"),
    ...SourceCommon,
  }),
  z.strictObject({
    type: z.literal("linear"),
    api_key: HostSecret.describe("Where the host reads the Linear API key: { env }, { file } or { command }"),
    team: z.string().min(1).max(50).optional().describe("Only issues of this team (its key, such as ENG)"),
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, { message: "an http:// or https:// URL" })
      .optional()
      .describe("The GraphQL endpoint; default https://api.linear.app/graphql"),
    states: z
      .strictObject({
        running: z.string().min(1).max(100).optional(),
        review: z.string().min(1).max(100).optional(),
        merged: z.string().min(1).max(100).optional(),
      })
      .optional()
      .describe(
        "The workflow states (their names, any case) issues move to at running, review and merged; default: the team's first started state, a started one whose name says review, the first completed one",
      ),
    ...SourceCommon,
  }),
  z.strictObject({
    type: z.literal("shell"),
    command: z
      .string()
      .min(1)
      .describe("A shell command; Ballador appends list, get or mark STATE (shell-quoted), JSON in and out"),
    timeout: SourceTimeouts.optional(),
    ...SourceCommon,
  }),
]);
export type SourceConfig = z.infer<typeof SourceSchema>;

export const SourcesSchema = z.strictObject({
  every: Duration('"5m"; "0s" never').optional().describe("launch --watch syncs every source this often"),
  instance: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,35}$/, { message: "1-35 letters, digits, . _ or - (a GitHub label holds 50)" })
    .optional()
    .describe("This Ballador's name in claim markers; default: the host name"),
  trackers: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]{0,19}$/, { message: "a-z, 0-9 and -, at most 20 characters" }),
      SourceSchema,
    )
    .optional()
    .describe("The trackers by a name of your choice (it names their parts' folder and ids)"),
});
