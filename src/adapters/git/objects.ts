/**
 * Adopting the git objects a sandboxed run wrote into its own folder. That folder is the
 * agent's: names, contents, links and file types are all hostile. Only these are taken:
 * - loose objects at `xx/yyyy…` whose names are object ids, regular files, whose content
 *   inflates to a well-formed object that hashes to its name;
 * - packs `pack/pack-<id>.pack` that `git index-pack --strict` accepts (it checks every object
 *   and computes the index itself; the agent's .idx is never used).
 * They go into the repository's own objects folder (found through git, never read from a
 * file), through fresh files created exclusively. Everything else is reported, not copied.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { repoLayout } from "./repo.js";
import { git } from "./run.js";

/** The hostile door, loaded by the adoption that reads a run's objects: commands that only open the project need none of it. */
const hostile = () => import("../hostile/index.js");

export interface Adoption {
  adopted: number;
  packs: number;
  refused: string[];
}

const TYPES = new Set(["blob", "tree", "commit", "tag"]);
const MAX_LOOSE = 256 * 1024 * 1024;
const MAX_PACK = 1024 * 1024 * 1024;

/** The repository's own objects folder and hash, found through git (once per process and repo). */
async function objectStore(repo: string): Promise<{ dir: string; algo: "sha1" | "sha256" }> {
  const { commonDir, objectFormat } = await repoLayout(repo);
  return { dir: join(commonDir, "objects"), algo: objectFormat };
}

/** A loose object's compressed bytes, if they are exactly the object `id` names. */
export function checkLooseObject(compressed: Buffer, id: string, algo: "sha1" | "sha256"): string | null {
  let raw: Buffer;
  try {
    raw = inflateSync(compressed, { maxOutputLength: MAX_LOOSE });
  } catch {
    return "does not inflate";
  }
  const nul = raw.indexOf(0);
  if (nul < 0 || nul > 32) return "has no object header";
  const [type, size] = raw.subarray(0, nul).toString("latin1").split(" ");
  if (!type || !TYPES.has(type)) return `has an unknown type "${type}"`;
  if (Number(size) !== raw.length - nul - 1) return "has a wrong size in its header";
  const hash = createHash(algo).update(raw).digest("hex");
  return hash === id ? null : `hashes to ${hash.slice(0, 12)}, not to its name`;
}

export async function adoptObjects(repo: string, ownDir: string): Promise<Adoption> {
  const result: Adoption = { adopted: 0, packs: 0, refused: [] };
  const { entryKind, readUntrusted, UntrustedPathError } = await hostile();
  if (entryKind(ownDir) !== "dir") return result;
  const { dir: shared, algo } = await objectStore(repo);
  const idLength = algo === "sha1" ? 38 : 62;
  const namePattern = new RegExp(`^[0-9a-f]{${idLength}}$`);
  for (const top of readdirSync(ownDir, { withFileTypes: true })) {
    if (top.name === "info") continue; // alternates and such: the run's own business
    if (top.name === "pack") {
      await adoptPacks(repo, ownDir, shared, result);
      continue;
    }
    if (!/^[0-9a-f]{2}$/.test(top.name) || !top.isDirectory()) {
      result.refused.push(`${top.name}: not an object folder`);
      continue;
    }
    for (const entry of readdirSync(join(ownDir, top.name), { withFileTypes: true })) {
      const rel = join(top.name, entry.name);
      if (entry.name.startsWith("tmp_obj_")) continue; // git's own unfinished writes
      if (!namePattern.test(entry.name)) {
        result.refused.push(`${rel}: not an object id`);
        continue;
      }
      const id = top.name + entry.name;
      const target = join(shared, top.name, entry.name);
      if (existsSync(target)) continue; // objects are named by their content: already there
      let data: Buffer | null;
      try {
        data = readUntrusted(ownDir, rel, MAX_LOOSE);
      } catch (err) {
        if (!(err instanceof UntrustedPathError)) throw err;
        result.refused.push(`${rel}: ${err.message}`);
        continue;
      }
      if (!data) continue;
      const bad = checkLooseObject(data, id, algo);
      if (bad) {
        result.refused.push(`${rel}: ${bad}`);
        continue;
      }
      mkdirSync(join(shared, top.name), { recursive: true });
      const tmp = join(shared, top.name, `tmp_obj_ballador_${process.pid}_${entry.name.slice(0, 8)}`);
      writeFileSync(tmp, data, { flag: "wx", mode: 0o444 });
      renameSync(tmp, target);
      result.adopted++;
    }
  }
  return result;
}

async function adoptPacks(repo: string, ownDir: string, shared: string, result: Adoption): Promise<void> {
  const packDir = join(ownDir, "pack");
  const { entryKind, readUntrusted, UntrustedPathError } = await hostile();
  if (entryKind(packDir) !== "dir") {
    result.refused.push("pack: not a folder");
    return;
  }
  for (const name of readdirSync(packDir)) {
    if (!name.endsWith(".pack")) continue; // .idx, .rev, .keep: made anew by index-pack, never taken
    if (!/^pack-[0-9a-f]{40,64}\.pack$/.test(name)) {
      result.refused.push(`pack/${name}: not a pack name`);
      continue;
    }
    let data: Buffer | null;
    try {
      data = readUntrusted(packDir, name, MAX_PACK);
    } catch (err) {
      if (!(err instanceof UntrustedPathError)) throw err;
      result.refused.push(`pack/${name}: ${err.message}`);
      continue;
    }
    if (!data) continue;
    mkdirSync(join(shared, "pack"), { recursive: true });
    const base = join(shared, "pack", `tmp_pack_ballador_${process.pid}_${name.slice(5, 17)}`);
    writeFileSync(`${base}.pack`, data, { flag: "wx", mode: 0o444 });
    const r = await git(["index-pack", "--strict", "-o", `${base}.idx`, `${base}.pack`], {
      cwd: repo,
      allowFail: true,
    });
    const hash = /^(?:pack\t)?([0-9a-f]{40,64})\s*$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !hash) {
      rmSync(`${base}.pack`, { force: true });
      rmSync(`${base}.idx`, { force: true });
      result.refused.push(
        `pack/${name}: git index-pack refused it (${r.stderr.trim().split("\n")[0] ?? ""})`,
      );
      continue;
    }
    const final = join(shared, "pack", `pack-${hash}`);
    if (existsSync(`${final}.pack`)) {
      rmSync(`${base}.pack`, { force: true });
      rmSync(`${base}.idx`, { force: true });
      continue;
    }
    renameSync(`${base}.pack`, `${final}.pack`);
    renameSync(`${base}.idx`, `${final}.idx`);
    result.packs++;
  }
}
