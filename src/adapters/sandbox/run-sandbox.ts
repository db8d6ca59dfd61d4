/**
 * One process, one sandbox: @anthropic-ai/sandbox-runtime keeps a single manager per process,
 * with its HTTP/SOCKS proxy running inside this process. So the process that owns a sandbox
 * must spawn asynchronously and keep its event loop free, or the proxy stalls.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { shellJoin, shellQuote } from "../../core/shell.js";
import { recordDenial } from "./denials.js";
import type { Policy } from "./policy.js";

type Manager = typeof import("@anthropic-ai/sandbox-runtime").SandboxManager;

let manager: Manager | null = null;
let initialized = false;
/** Where the current policy's denials go; the ask callback is registered once per process. */
let denialsTo: string | null = null;

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
    const config = { network: policy.network, filesystem: policy.filesystem };
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
    return new RunSandbox(policy, scratch);
  }

  /** An argv, run inside the sandbox exactly as given. */
  async wrapArgv(argv: readonly string[], cwd: string): Promise<Wrapped> {
    return this.wrapShell(`exec ${shellJoin(argv)}`, cwd);
  }

  /** A shell command line (verify, hooks) run inside the sandbox. */
  async wrapShell(command: string, cwd: string): Promise<Wrapped> {
    if (!manager) throw new SandboxUnavailableError("sandbox not started");
    let inner = command;
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
      inner = `export NO_PROXY=${list} no_proxy=${list}; ${command}`;
    }
    // The runtime protects dotfiles (.bashrc, .gitmodules, .mcp.json, ...) of the process's
    // current folder by mounting stubs over them. In a task worktree those stubs break
    // `git add -A` and legitimate edits, and the worktree is reviewed as a diff anyway: so the
    // wrap happens from a scratch folder in the run folder instead.
    const previous = process.cwd();
    process.chdir(this.scratch);
    try {
      const { argv } = await manager.wrapWithSandboxArgv(inner, "/bin/sh", undefined, undefined, cwd);
      return { file: argv[0] as string, args: argv.slice(1) };
    } finally {
      process.chdir(previous);
    }
  }

  static async stopAll(): Promise<void> {
    if (manager && initialized) await manager.reset();
    initialized = false;
    denialsTo = null;
  }
}
