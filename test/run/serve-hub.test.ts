/**
 * The runner's serve for a launch (spec 0013, "Third pass"), on a real Unix socket: a connection
 * without the launch's token is refused with a failed end and takes no run's place; one with it
 * gets its order served; once the plan's runs are served the socket is gone and the serve ends.
 * The serve function here records what it is given (the real one starts a run on the runner,
 * covered end to end by test/runners/launch-serve).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hubSocket, serveHub } from "../../src/run/remote/serve-hub.js";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** Sends `text` on the socket, ends its side, and returns every line that comes back. */
function converse(path: string, text: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => s.end(text));
    let got = "";
    s.on("data", (d: Buffer) => {
      got += d.toString("utf8");
    });
    s.on("error", reject);
    s.on("close", () => resolve(got.split("\n").filter((l) => l !== "")));
  });
}

async function socketOf(path: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("a launch's serve on the runner", () => {
  it("refuses a wrong token without using up a run, serves the right one, then ends with its socket gone", async () => {
    const root = mkdtempSync(join(tmpdir(), "bl-hub-"));
    roots.push(root);
    const plan = { key: randomBytes(8).toString("hex"), token: randomBytes(32).toString("hex"), runs: 1 };
    const served: string[] = [];
    const done = serveHub(root, plan, async (order, emit) => {
      served.push(await order);
      emit({ t: "log", line: "served" });
    });
    const path = hubSocket(root, plan.key);
    await socketOf(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);

    const stranger = await converse(path, `${"0".repeat(64)}\n{"protocol":1}`);
    expect(stranger.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ t: "end", state: "failed", reason: expect.stringContaining("token") }),
    ]);
    const noLine = await converse(path, "no token line at all");
    expect(JSON.parse(noLine[0] ?? "{}").state).toBe("failed");
    expect(served).toEqual([]);

    const relay = await converse(path, `${plan.token}\n{"the":"order"}`);
    expect(relay.map((l) => JSON.parse(l))).toEqual([{ t: "log", line: "served" }]);
    expect(served).toEqual(['{"the":"order"}']);
    await done;
    expect(existsSync(path)).toBe(false);
  }, 30_000);
});
