/**
 * One process, one sandbox: @anthropic-ai/sandbox-runtime keeps a single manager per process,
 * with its HTTP/SOCKS proxy running inside this process. So the process that owns a sandbox
 * must spawn asynchronously and keep its event loop free, or the proxy stalls.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { shellJoin, shellQuote } from "../../core/shell.js";
import { recordDenial } from "./denials.js";
import type { Bind, Policy } from "./policy.js";

type Manager = typeof import("@anthropic-ai/sandbox-runtime").SandboxManager;

let manager: Manager | null = null;
let initialized = false;
/** Where the current policy's denials go; the ask callback is registered once per process. */
let denialsTo: string | null = null;
const sockets = new Set<string>();

export class SandboxUnavailableError extends Error {
  override name = "SandboxUnavailableError";
}

export interface Wrapped {
  file: string;
  args: string[];
}

export class RunSandbox {
  private constructor(
    private readonly policy: Policy,
    private readonly scratch: string,
    private readonly tmp: string,
  ) {}

  /** Starts (or re-targets) this process's sandbox with the policy of one run. */
  static async start(policy: Policy, opts: { runDir: string; tmp: string }): Promise<RunSandbox> {
    // The runtime reads CLAUDE_TMPDIR when wrapping: TMPDIR inside must be writable.
    process.env.CLAUDE_TMPDIR = opts.tmp;
    mkdirSync(opts.tmp, { recursive: true });
    manager ??= (await import("@anthropic-ai/sandbox-runtime")).SandboxManager;
    const deps = manager.checkDependencies();
    if (deps.errors.length > 0) {
      throw new SandboxUnavailableError(
        `the sandbox cannot start: ${deps.errors.join("; ")}. Install bubblewrap and socat (apt-get install bubblewrap socat) or run "ballador doctor"`,
      );
    }
    denialsTo = opts.runDir;
    // Paths made later (the prompt, the run file) are left out until they exist.
    const filesystem = {
      ...policy.filesystem,
      allowRead: policy.filesystem.allowRead.filter((p) => existsSync(p)),
    };
    const config = { network: policy.network, filesystem };
    if (!initialized) {
      await manager.initialize(config, async ({ host, port }) => {
        if (denialsTo) recordDenial(denialsTo, { host, port: port ?? null, at: new Date().toISOString() });
        return false;
      });
      initialized = true;
    } else {
      manager.updateConfig(config);
    }
    const scratch = join(opts.runDir, "sandbox-cwd");
    mkdirSync(scratch, { recursive: true });
    return new RunSandbox(policy, scratch, opts.tmp);
  }

  /** An argv, run inside the sandbox exactly as given. */
  async wrapArgv(argv: readonly string[], cwd: string): Promise<Wrapped> {
    return this.wrapShell(`exec ${shellJoin(argv)}`, cwd);
  }

  /** A shell command line (verify, hooks) run inside the sandbox. */
  async wrapShell(command: string, cwd: string): Promise<Wrapped> {
    if (!manager) throw new SandboxUnavailableError("sandbox not started");
    // /tmp is read-only inside; the runtime points TMPDIR at the run's tmp, but zsh makes its
    // here-document files under TMPPREFIX (default /tmp/zsh), so an agent whose shell is zsh
    // could not use `cat <<EOF` at all without this.
    let inner = `export TMPPREFIX=${shellQuote(join(this.tmp, "zsh"))}; ${command}`;
    if (this.policy.loopbackAllowed.length > 0) {
      // The runtime exempts loopback from the proxy, but inside the sandbox loopback is the
      // sandbox's own: an allowlisted loopback host must go through the proxy to reach the host.
      const keep = [
        "localhost",
        "127.0.0.1",
        "::1",
        "169.254.0.0/16",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
      ].filter((h) => !this.policy.loopbackAllowed.includes(h));
      const list = shellQuote(keep.join(","));
      inner = `export NO_PROXY=${list} no_proxy=${list}; ${inner}`;
    }
    // The runtime protects dotfiles (.bashrc, .gitmodules, .mcp.json, ...) of the process's
    // current folder by mounting stubs over them. In a task worktree those stubs break
    // `git add -A` and legitimate edits, and the worktree is reviewed as a diff anyway: so the
    // wrap happens from a scratch folder in the run folder instead.
    const previous = process.cwd();
    process.chdir(this.scratch);
    try {
      const { argv } = await manager.wrapWithSandboxArgv(inner, "/bin/sh", undefined, undefined, cwd);
      for (const m of (argv[2] ?? "").matchAll(/--bind (\/tmp\/claude-(?:http|socks)-[0-9a-f]+\.sock) /g)) {
        if (m[1]) sockets.add(m[1]);
      }
      return withBinds(argv, this.policy.binds);
    } finally {
      process.chdir(previous);
    }
  }

  /** The policy this sandbox enforces. */
  get enforced(): Policy {
    return this.policy;
  }

  /** The runtime's proxy sockets this process has bound into sandboxes (for crash clean-up). */
  static socketPaths(): string[] {
    return [...sockets];
  }

  static async stopAll(): Promise<void> {
    if (manager && initialized) await manager.reset();
    initialized = false;
    denialsTo = null;
  }
}

/**
 * The runtime answers `/bin/sh -c "bwrap OPTIONS -- COMMAND"`. Two changes, both checked:
 * - `exec bwrap`: bwrap becomes the direct child of this process, so its --die-with-parent ends
 *   the whole sandbox when this process dies (a kill -9 of `merge` no longer leaves a verify
 *   running behind it);
 * - the per-run binds are added after the runtime's own mounts (later mounts win), before `--`.
 * A shape that is not the expected one is refused rather than run without the binds.
 */
export function withBinds(argv: readonly string[], binds: readonly Bind[]): Wrapped {
  const [file, flag, script, ...rest] = argv;
  if (
    file !== "/bin/sh" ||
    flag !== "-c" ||
    typeof script !== "string" ||
    rest.length > 0 ||
    !script.startsWith("bwrap ")
  ) {
    if (binds.length === 0 && file) return { file, args: argv.slice(1) };
    throw new SandboxUnavailableError(
      "the sandbox runtime's command has an unexpected shape; refusing to run without the ref binds",
    );
  }
  const sep = script.indexOf(" -- ");
  if (sep < 0) throw new SandboxUnavailableError("the sandbox runtime's command has no option separator");
  const mounts = binds.map((b) => ` --bind ${shellQuote(b.source)} ${shellQuote(b.dest)}`).join("");
  return { file, args: [flag, `exec ${script.slice(0, sep)}${mounts}${script.slice(sep)}`] };
}
