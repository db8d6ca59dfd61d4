/**
 * A folder of files outside every agent HOME, which nothing may change, and readers that walk a
 * HOME without following a link: for the tests that plant links in a run's HOME
 * (test/agents/home-trust.test.ts through a sandboxed run, test/adapters/agent-home-trust.test.ts
 * on the seeding and carrying code itself).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Every entry under `dir` that is not a regular file or a folder (lstat, never followed). */
export function oddEntries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (!st.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** A folder of files outside every HOME, which nothing may change; and its snapshot. */
export function victim(dir: string): { dir: string; snapshot: () => Record<string, string> } {
  const v = join(dir, "victim");
  mkdirSync(join(v, "sessions"), { recursive: true });
  for (const [name, text] of Object.entries({
    "secret.txt": "VICTIM-SECRET\n",
    "settings.json": '{"victim":true}\n',
    "state.json": '{"victim":"state"}\n',
    gitconfig: "[user]\n\tname = Victim\n",
    "auth.json": '{"victim":"auth"}\n',
    "sessions/old.jsonl": "victim session\n",
  }))
    writeFileSync(join(v, name), text);
  const snapshot = () => {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string) => {
      for (const name of readdirSync(d).sort()) {
        const full = join(d, name);
        if (lstatSync(full).isDirectory()) walk(full, `${rel}${name}/`);
        else out[`${rel}${name}`] = readFileSync(full, "utf8");
      }
    };
    walk(v, "");
    return out;
  };
  return { dir: v, snapshot };
}

/** Everything found under a folder, as text, to look for a victim's content. */
export function allText(dir: string): string {
  let out = "";
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out += readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return out;
}
