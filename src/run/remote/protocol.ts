/**
 * The run protocol between home and a runner (spec 0013): what goes out (one run order on the
 * runner's stdin) and what comes back (JSON lines). Every line home reads may have been shaped
 * by the agent on the runner: strict schemas, bounded strings, unknown fields refused.
 */
import { z } from "zod";

/** The longest line home accepts from a runner; a longer one ends the run. */
export const MAX_EVENT_LINE = 64 * 1024;

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const REF = /^refs\/ballador\/(base|stack|runs)\/[A-Za-z0-9._/-]{1,200}$/;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

const text = (max: number) => z.string().max(max);
const SEQ = z.number().int().min(0);
const HOST = z.string().regex(/^[A-Za-z0-9*._:[\]-]{1,255}$/);

/**
 * A run's masked secrets as the runner gets them (spec 0013): stand-ins and home's public CA,
 * never a value. The runner's proxy sends the secrets' hosts through `socket`, the end of an
 * SSH tunnel to home's injecting proxy.
 */
export const MaskedOrderSchema = z
  .object({
    socket: z.string().regex(/^\/[A-Za-z0-9._/-]{1,100}$/),
    hosts: z.array(HOST).min(1).max(64),
    caCert: text(16 * 1024),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), text(1024)),
    files: z.array(z.object({ at: text(1024), content: text(256 * 1024) }).strict()).max(32),
  })
  .strict();
export type MaskedOrder = z.infer<typeof MaskedOrderSchema>;

/**
 * A secret of a run on a runner with `secrets_at: runner` (spec 0013): its value, resolved at
 * home, and how the runner's proxy uses it. Only in the order on ssh's stdin: runner-serve keeps
 * it in memory for its run's supervisor, never in a file.
 */
export const RunnerSecretSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/),
    value: text(256 * 1024),
    mode: z.enum(["mask", "pass"]),
    hosts: z.array(HOST).max(64).optional(),
    at: text(1024).optional(),
    extract: text(1024).optional(),
    header: text(256).optional(),
    in_body: z.boolean().optional(),
  })
  .strict();
export type RunnerSecret = z.infer<typeof RunnerSecretSchema>;

/** What home sends: the run order (no secret value, no webhook: those stay home). */
export const RunOrderSchema = z
  .object({
    protocol: z.literal(1),
    version: text(64),
    runId: z.string().regex(RUN_ID),
    taskId: z.string().regex(ID),
    attempt: z.number().int().min(1).max(1000),
    title: text(1000),
    body: text(256 * 1024),
    verify: text(4096).nullable(),
    profile: z.string().regex(ID),
    branch: text(255),
    remote: text(1024),
    baseRef: z.string().regex(REF),
    mergeRefs: z.array(z.string().regex(REF)).max(32),
    /** The run's plan: home's config as written, without notify and runners. */
    config: text(1024 * 1024),
    /** The runner's own folder for Ballador's runs (its config's root). */
    root: text(1024),
    previousFailure: text(64 * 1024).nullable(),
    /** The person's steering that stands (request-changes, a pull request's review, update): home's notes, as the prompt needs them. */
    requests: z
      .array(text(64 * 1024))
      .max(64)
      .default([]),
    prReview: z
      .array(text(64 * 1024))
      .max(64)
      .default([]),
    update: text(64 * 1024)
      .nullable()
      .default(null),
    /** What home has applied already (the runner store's seqs): a reattach sends only what is new. */
    cursor: z.object({ event: SEQ, verification: SEQ, note: SEQ, denial: SEQ.optional() }).strict(),
    /** The earlier run on this runner whose conversation this one continues (resume, retry, request-changes). */
    continueRun: z.string().regex(RUN_ID).nullable().default(null),
    /** The run's masked secrets through home's proxy, when its profile has any. */
    masked: MaskedOrderSchema.optional(),
    /** The run's secrets with their values, only for a runner with secrets_at: runner. */
    secrets: z.array(RunnerSecretSchema).max(64).optional(),
  })
  .strict();
export type RunOrder = z.infer<typeof RunOrderSchema>;

/** The states a runner's task may report; home maps them onto its own task's moves. */
const STATE = z.enum([
  "queued",
  "ready",
  "running",
  "verifying",
  "review",
  "failed",
  "blocked",
  "stopped",
  "merged",
  "abandoned",
]);

export const RemoteEventSchema = z.discriminatedUnion("t", [
  z
    .object({
      t: z.literal("hello"),
      version: text(64),
      socket: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
      session: z.string().regex(/^bl-[a-z0-9-]{1,64}$/),
      runDir: text(1024),
      sessionLog: text(1024),
      reattached: z.boolean(),
    })
    .strict(),
  z.object({ t: z.literal("phase"), phase: text(200).nullable() }).strict(),
  z.object({ t: z.literal("agent"), at: text(40) }).strict(),
  z
    .object({
      t: z.literal("state"),
      seq: SEQ,
      state: STATE,
      cause: text(500),
      reason: text(4000).nullable(),
    })
    .strict(),
  z
    .object({
      t: z.literal("note"),
      seq: SEQ,
      kind: z.enum(["note", "summary", "blocked", "system"]),
      text: text(8000),
    })
    .strict(),
  z
    .object({
      t: z.literal("verify"),
      seq: SEQ,
      commit: z.string().regex(COMMIT).nullable(),
      command: text(4096).nullable(),
      passed: z.boolean(),
      exitCode: z.number().int().nullable(),
      ms: z.number().int().min(0),
      tail: text(8000).nullable(),
    })
    .strict(),
  z.object({ t: z.literal("needs"), since: text(40).nullable(), what: text(2000).nullable() }).strict(),
  z.object({ t: z.literal("log"), line: text(2000) }).strict(),
  /** A request the runner's proxy refused (or a stand-in sent off its hosts): recorded at home. */
  z
    .object({
      t: z.literal("denial"),
      seq: SEQ,
      host: text(255),
      port: z.number().int().min(0).max(65535).nullable(),
      at: text(40),
      secret: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/)
        .optional(),
    })
    .strict(),
  z
    .object({
      t: z.literal("end"),
      state: STATE,
      reason: text(4000).nullable(),
      outcome: text(200),
      /** The commit pushed to refs/ballador/runs/<run>, or null when nothing was pushed. */
      commit: z.string().regex(COMMIT).nullable(),
    })
    .strict(),
]);
export type RemoteEvent = z.infer<typeof RemoteEventSchema>;

/** One line from a runner, checked; a string says why it is refused. */
export function parseEventLine(line: string): RemoteEvent | string {
  if (line.length > MAX_EVENT_LINE) return `a line of ${line.length} bytes (at most ${MAX_EVENT_LINE})`;
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return `not JSON: ${JSON.stringify(line.slice(0, 80))}`;
  }
  const r = RemoteEventSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    return `refused event (${issue?.path.join(".") || "line"}: ${issue?.message ?? "invalid"})`;
  }
  return r.data;
}

export function eventLine(e: RemoteEvent): string {
  return `${JSON.stringify(e)}\n`;
}

/** The refs of one run on the shared remote. */
export function runRefs(runId: string): { base: string; merge: (n: number) => string; result: string } {
  return {
    base: `refs/ballador/base/${runId}`,
    // Not under base/<run>/: a ref cannot be a file and a folder at once.
    merge: (n) => `refs/ballador/stack/${runId}/m${n}`,
    result: `refs/ballador/runs/${runId}`,
  };
}
