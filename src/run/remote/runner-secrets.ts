/**
 * Secrets of a run on a runner the person opted in with `secrets_at: runner` (spec 0013): the
 * values are resolved at home, go out in the run order on ssh's stdin, and are held in memory
 * only. runner-serve keeps them in its process behind a Unix socket in a 0700 folder and writes
 * the socket's path, a one-run token and how each secret is used (no value) in the throwaway
 * project's state folder, which the sandbox cannot read; the run's supervisor asks once and keeps
 * them in its memory for every attempt. Its own proxy then masks them with its own CA, as a
 * local run's does. No value is ever in a file, an argument or an environment there.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { ResolvedProfile } from "../../adapters/agents/profiles.js";
import type { MaskedSecret } from "../../adapters/sandbox/index.js";
import { secretMode } from "../../core/secrets.js";
import { resolveSecrets, type SecretUse, splitSecrets } from "../sandboxing.js";
import { checkRemoteSecrets } from "./masking-rules.js";
import type { RunnerSecret } from "./protocol.js";
import type { RelayRun } from "./relay-apply.js";
import { RUNNER_SECRETS_FILE } from "./runner-files.js";

/** The most a supervisor reads back from the keeper: the order's own bound on secrets. */
const MAX_ANSWER = 64 * 256 * 1024 + 4096;

/** Drops an earlier run's record (a continued project): a new order brings its own, or none. */
export function forgetRunnerSecrets(stateDir: string): void {
  rmSync(join(stateDir, RUNNER_SECRETS_FILE), { force: true });
}

/**
 * Home: the run's profile's secrets (it has some) with their values for the order; checked
 * first (checkRemoteSecrets).
 */
export async function runnerSecretsFor(r: RelayRun, profile: ResolvedProfile): Promise<RunnerSecret[]> {
  checkRemoteSecrets(r.project.config, r.runner, profile);
  const values = await resolveSecrets(profile, process.env);
  return Object.entries(profile.secrets).map(([name, spec]) => {
    return {
      name,
      value: values[name] ?? "",
      mode: secretMode(spec),
      ...(spec.hosts ? { hosts: spec.hosts } : {}),
      ...(spec.at !== undefined ? { at: spec.at } : {}),
      ...(spec.extract !== undefined ? { extract: spec.extract } : {}),
      ...(spec.header !== undefined ? { header: spec.header } : {}),
      ...(spec.in_body !== undefined ? { in_body: spec.in_body } : {}),
    };
  });
}

/**
 * What the state folder holds: where to ask, the token, how each secret is used. No value.
 * (This module, and zod with it, is imported only where such a record is made or read: a
 * supervisor and the relay import it when their run has one, spec 0017.)
 */
const KeptSchema = z
  .object({
    socket: z.string().max(200),
    token: z.string().regex(/^[0-9a-f]{64}$/),
    profile: z.string(),
    uses: z.record(
      z.string(),
      z
        .object({
          mode: z.enum(["mask", "pass"]),
          hosts: z.array(z.string()).optional(),
          at: z.string().optional(),
          extract: z.string().optional(),
          header: z.string().optional(),
          in_body: z.boolean().optional(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * The runner: holds the order's values in this process and answers the run's supervisor, which
 * must show the token. Returns the closer (the socket's folder removed with it).
 */
export async function keepSecrets(
  stateDir: string,
  profile: string,
  secrets: readonly RunnerSecret[],
): Promise<() => void> {
  const values = JSON.stringify(Object.fromEntries(secrets.map((s) => [s.name, s.value])));
  const uses = Object.fromEntries(secrets.map(({ name, value: _value, ...use }) => [name, use]));
  const token = randomBytes(32).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), "bl-sec-")); // 0700: the runner user's only
  const socket = join(dir, "s.sock");
  const server = createServer((c) => {
    c.on("error", () => c.destroy());
    let got = "";
    c.setTimeout(30_000, () => c.destroy());
    c.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.length > 200) return c.destroy();
      if (!got.includes("\n")) return;
      const shown = Buffer.from(got.split("\n")[0] ?? "");
      const ok = shown.length === token.length && timingSafeEqual(shown, Buffer.from(token));
      c.end(ok ? values : "");
    });
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(socket, () => res());
  });
  server.unref();
  const tmp = join(stateDir, `${RUNNER_SECRETS_FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify({ socket, token, profile, uses }), { mode: 0o600 });
  renameSync(tmp, join(stateDir, RUNNER_SECRETS_FILE));
  const close = () => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", close);
  return close;
}

/** The values this supervisor was given, kept for its later attempts. */
const held = new Map<string, Record<string, string>>();

function ask(socket: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let got = "";
    c.setTimeout(30_000, () => c.destroy(new Error("no answer in 30 s")));
    c.on("connect", () => c.write(`${token}\n`));
    c.on("data", (d: Buffer) => {
      got += d.toString("utf8");
      if (got.length > MAX_ANSWER) c.destroy(new Error("an answer too long"));
    });
    c.on("error", reject);
    c.on("end", () => resolve(got));
  });
}

/**
 * The supervisor on a runner: its run's secrets (passed ones for the agent, masked ones for its
 * proxy), or null when its runner holds none (a local run, or secrets kept at home). Only for
 * the profile they were sent for: another stage's or a fallback's agent gets none of them.
 */
export async function runnerHeldSecrets(
  stateDir: string,
  profile: string,
): Promise<{ passed: Record<string, string>; masked: MaskedSecret[] } | null> {
  const file = join(stateDir, RUNNER_SECRETS_FILE);
  if (!existsSync(file)) return null;
  const kept = KeptSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  if (kept.profile !== profile) return null;
  let values = held.get(kept.token);
  if (!values) {
    const answer = await ask(kept.socket, kept.token).catch((err: Error) => {
      throw new Error(
        `the secrets' values are held by the run's runner-serve, which did not answer (${err.message}); the connection from home may have dropped before the agent started: retry the task`,
      );
    });
    if (answer === "") throw new Error("the run's runner-serve refused to give the secrets' values");
    values = JSON.parse(answer) as Record<string, string>;
    held.set(kept.token, values);
  }
  const uses: Record<string, SecretUse> = kept.uses;
  return splitSecrets(uses, values);
}
