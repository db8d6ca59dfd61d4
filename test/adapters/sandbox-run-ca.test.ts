/**
 * The run's CA kept across a restart of home's proxy, and the stand-ins derived from its key
 * (src/adapters/sandbox/run-ca.ts, spec 0013 "Across a relay's reopen"): only a CA that is this
 * user's own, in a folder closed to others, through no link, is kept; anything else is replaced
 * (a link removed as a link, its target untouched). Real files, real keys.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { standInMinter, writeRunCa } from "../../src/adapters/sandbox/run-ca.js";

const made: string[] = [];
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "bl-run-ca-"));
  made.push(d);
  return d;
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the run's CA, kept for a proxy started again", () => {
  it("keeps home's own CA when asked, and makes a new one otherwise", async () => {
    const run = folder();
    const first = await writeRunCa(run, true);
    expect((await writeRunCa(run, true)).key).toBe(first.key);
    expect(readFileSync(join(run, "proxy-ca", "ca.key"), "utf8")).toBe(first.key);
    // A local run (keep: false) always gets a new one.
    expect((await writeRunCa(run, false)).key).not.toBe(first.key);
  }, 60_000);

  it("replaces a CA reached through a link, readable by others, or whose key is not the certificate's", async () => {
    // A folder link: removed as a link; what it pointed to is left as it was.
    const run = folder();
    const elsewhere = folder();
    const planted = await writeRunCa(elsewhere, false);
    symlinkSync(planted.dir, join(run, "proxy-ca"));
    const fresh = await writeRunCa(run, true);
    expect(fresh.key).not.toBe(planted.key);
    expect(readFileSync(join(elsewhere, "proxy-ca", "ca.key"), "utf8")).toBe(planted.key);

    // The key and certificate as links to another CA's.
    const linked = folder();
    const own = await writeRunCa(linked, true);
    for (const f of ["ca.key", "ca.crt"]) {
      rmSync(join(own.dir, f));
      symlinkSync(join(planted.dir, f), join(own.dir, f));
    }
    expect((await writeRunCa(linked, true)).key).not.toBe(planted.key);

    // A key others may read, or a folder others may enter.
    const open = folder();
    const opened = await writeRunCa(open, true);
    chmodSync(join(opened.dir, "ca.key"), 0o644);
    expect((await writeRunCa(open, true)).key).not.toBe(opened.key);
    const wide = folder();
    const widened = await writeRunCa(wide, true);
    chmodSync(widened.dir, 0o755);
    expect((await writeRunCa(wide, true)).key).not.toBe(widened.key);

    // A key that is not the certificate's.
    const mixed = folder();
    const mine = await writeRunCa(mixed, true);
    writeFileSync(join(mine.dir, "ca.key"), planted.key, { mode: 0o600 });
    expect((await writeRunCa(mixed, true)).key).not.toBe(planted.key);

    // Not a folder at all.
    const flat = folder();
    writeFileSync(join(flat, "proxy-ca"), "not a folder");
    expect((await writeRunCa(flat, true)).key).toMatch(/PRIVATE KEY/);
  }, 120_000);
});

describe("stand-ins derived from the run's CA key", () => {
  it("are the runtime's shape, length-matched, the same for the same key, run and name, else not", () => {
    const mint = standInMinter("key-one", "run-1");
    const short = mint("API_TOKEN", "tok-123");
    expect(short).toMatch(/^fake_value_[0-9a-f]{36}$/);
    const long = "x".repeat(200);
    expect(mint("API_TOKEN", long)).toMatch(/^fake_value_[0-9a-f]{189}$/);
    expect(Buffer.byteLength(mint("API_TOKEN", long))).toBe(200);
    expect(standInMinter("key-one", "run-1")("API_TOKEN", "tok-456")).toBe(short);
    expect(standInMinter("key-two", "run-1")("API_TOKEN", "tok-123")).not.toBe(short);
    expect(standInMinter("key-one", "run-2")("API_TOKEN", "tok-123")).not.toBe(short);
    expect(mint("OTHER", "tok-123")).not.toBe(short);
    // Nothing of the value but its length: two values of one length, one stand-in.
    expect(mint("API_TOKEN", "secret-a")).toBe(mint("API_TOKEN", "secret-b"));
  });
});
