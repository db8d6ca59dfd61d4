/**
 * The run's own objects folder of a jj run (src/adapters/jj/op-store.ts, seedRunObjects): before
 * each step the host names the read-only mount of the real objects as its alternate. The agent
 * wrote that folder in the step before: links it left at `info`, `pack` or `info/alternates` are
 * replaced, never followed, so the host never writes or deletes outside the run's folder.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { seedRunObjects } from "../../src/adapters/jj/index.js";

const dir = mkdtempSync(join(tmpdir(), "bl-jjobj-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a jj run's objects folder before a step", () => {
  it("names the real objects' mount as its alternate", () => {
    const copy = join(dir, "clean", "copy");
    const own = join(dir, "clean", "own");
    mkdirSync(own, { recursive: true });
    seedRunObjects(copy, own);
    expect(readFileSync(join(own, "info", "alternates"), "utf8")).toBe(`${join(copy, "real-objects")}\n`);
    expect(lstatSync(join(own, "pack")).isDirectory()).toBe(true);
  });

  it("replaces the agent's links at info, pack and info/alternates without writing through them", () => {
    const base = join(dir, "attack");
    const copy = join(base, "copy");
    const own = join(base, "own");
    // Another repository's objects folder of the person's, and one of their files.
    const elsewhere = join(base, "other-repo", "objects", "info");
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, "alternates"), "/the/persons/own\n");
    const victim = join(base, "victim.txt");
    writeFileSync(victim, "keep me\n");
    const pack = join(base, "elsewhere-pack");
    mkdirSync(pack);

    mkdirSync(own, { recursive: true });
    symlinkSync(elsewhere, join(own, "info"));
    symlinkSync(pack, join(own, "pack"));
    seedRunObjects(copy, own);
    expect(readFileSync(join(elsewhere, "alternates"), "utf8")).toBe("/the/persons/own\n");
    expect(lstatSync(join(own, "info")).isDirectory()).toBe(true);
    expect(lstatSync(join(own, "pack")).isDirectory()).toBe(true);
    expect(readdirSync(pack)).toEqual([]);

    rmSync(join(own, "info", "alternates"));
    symlinkSync(victim, join(own, "info", "alternates"));
    seedRunObjects(copy, own);
    expect(readFileSync(victim, "utf8")).toBe("keep me\n");
    expect(lstatSync(join(own, "info", "alternates")).isFile()).toBe(true);
    expect(readFileSync(join(own, "info", "alternates"), "utf8")).toBe(`${join(copy, "real-objects")}\n`);
  });
});
