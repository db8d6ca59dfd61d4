/**
 * One process, one sandbox: the runtime keeps one manager per process, with its HTTP/SOCKS proxy
 * in this process; so the owner must spawn asynchronously and keep its event loop free.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { pemCertificates } from "../../core/pem.js";
import { hostCovered, hostMatches, hostOnly, maskContent } from "../../core/secrets.js";
import { shellJoin, shellQuote } from "../../core/shell.js";
import { findProgram } from "../agents/profiles.js";
import { recordDenial } from "../runfolder/index.js";
import type { Bind, Policy } from "./policy.js";
import { type Placement, runtimePatched, setPlacements } from "./proxy-hooks.js";
import { standInMinter, writeRunCa } from "./run-ca.js";

type Manager = typeof import("@anthropic-ai/sandbox-runtime/dist/sandbox/sandbox-manager.js").SandboxManager;

let manager: Manager | null = null;
let initialized = false;
/** Where the current policy's denials go; the ask callback is registered once per process. */
let denialsTo: string | null = null;
const sockets = new Set<string>();
/** The masked secrets of the current policy (real values: host memory only, never a file). */
let masked: readonly MaskedSecret[] = [];
/** Stand-in -> the secret it stands for and its hosts, for the request watch. */
const standIns = new Map<string, { name: string; hosts: string[] }>();
/** Masked files: where in the run's HOME, and their content (stand-ins in place of credentials). */
let files: Array<{ at: string; content: string }> = [];
/** The per-run CA's folder (host-only, in the run folder), removed when the sandbox stops. */
let caDir: string | null = null;
/** Derives stand-ins from the run's CA key (a proxy that must start again with the same ones); null: drawn at random. */
let mint: ((name: string, real: string) => string) | null = null;
/** A prewarm in flight: start() waits for it, then re-targets what it started. */
let warming: Promise<void> | null = null;
interface Binaries {
  /** What the runtime is told (see runtimeBinaries). */
  named: { bwrapPath?: string; socatPath?: string };
  /** Not found on PATH at all. */
  missing: string[];
}
let binaries: Binaries | null = null;

/**
 * bwrap and socat, found on PATH here: given to the runtime, it checks them in place instead of
 * running `which` for each (a process spawned from the supervisor costs a fork of all of it).
 */
function runtimeBinaries(): Binaries {
  if (binaries) return binaries;
  const bwrap = findProgram("bwrap", process.cwd());
  const socat = findProgram("socat", process.cwd());
  // Named to the runtime only by an absolute path, and bwrap only when the runtime's shell
  // quoting leaves its path as it is (withBinds looks for it verbatim); another is left to the
  // runtime's own lookup.
  const absolute = (path: string | null): path is string => path !== null && isAbsolute(path);
  const plain = (path: string | null): path is string => absolute(path) && /^[A-Za-z0-9_./+-]+$/.test(path);
  binaries = {
    named: {
      ...(plain(bwrap) ? { bwrapPath: bwrap } : {}),
      ...(absolute(socat) ? { socatPath: socat } : {}),
    },
    missing: [bwrap ? null : "bubblewrap (bwrap)", socat ? null : "socat"].filter((m) => m !== null),
  };
  return binaries;
}

/** The runtime's manager, once per process: its own module, not the index (zod 3, ~1 MiB of heap). */
async function loadManager(): Promise<Manager> {
  manager ??= (await import("@anthropic-ai/sandbox-runtime/dist/sandbox/sandbox-manager.js")).SandboxManager;
  return manager;
}

/** Blocked requests go to the current run's denials; registered once, when the runtime starts. */
const askAboutHost = async ({ host, port }: { host: string; port?: number }): Promise<boolean> => {
  if (denialsTo) recordDenial(denialsTo, { host, port: port ?? null, at: new Date().toISOString() });
  return false;
};

/** A secret the agent must not hold: it sees a stand-in, requests to `hosts` get `value`. */
export interface MaskedSecret {
  name: string;
  value: string;
  hosts: string[];
  /** Given as this file (`~/...` of the run's HOME) instead of a variable. */
  at?: string;
  /** With `at`: group 1 of each match is the credential; only those spans are masked. */
  extract?: string;
  /** The request header the real value goes into (default Authorization). */
  header?: string;
  /** Whether a request body's stand-in becomes the real value too (default no). */
  inBody?: boolean;
}

export class SandboxUnavailableError extends Error {
  override name = "SandboxUnavailableError";
}

function unavailable(why: string): SandboxUnavailableError {
  return new SandboxUnavailableError(
    `the sandbox cannot start: ${why}. Install bubblewrap and socat (apt-get install bubblewrap socat) or run "ballador doctor"`,
  );
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
  static async start(
    policy: Policy,
    // stable: keep the run folder's CA, derive the stand-ins from it (home's proxy of a remote run).
    opts: { runDir: string; tmp: string; masked?: readonly MaskedSecret[]; stable?: { runId: string } },
  ): Promise<RunSandbox> {
    // The runtime reads CLAUDE_TMPDIR when wrapping: TMPDIR inside must be writable.
    process.env.CLAUDE_TMPDIR = opts.tmp;
    mkdirSync(opts.tmp, { recursive: true });
    if (warming) await warming;
    const manager = await loadManager();
    const { missing, named } = runtimeBinaries();
    if (!initialized && missing.length > 0) throw unavailable(`${missing.join(" and ")} not found on PATH`);
    const wanted = checkedMasked(policy, opts.masked ?? []);
    // TLS termination (and with it the injector) is fixed when the runtime starts: a process
    // that started without it restarts the runtime for a run with masked secrets.
    if (initialized && wanted.length > 0 && !manager.getMitmCA()) await RunSandbox.stopAll();
    if (!initialized && wanted.length > 0) {
      const ca = await writeRunCa(opts.runDir, opts.stable !== undefined);
      caDir = ca.dir;
      mint = opts.stable ? standInMinter(ca.key, opts.stable.runId) : null;
    }
    denialsTo = opts.runDir;
    masked = wanted;
    await startRuntime(manager, runtimeConfig(policy, named, wanted));
    registerStandIns(manager.getSentinelRegistry(), wanted);
    const scratch = join(opts.runDir, "sandbox-cwd");
    mkdirSync(scratch, { recursive: true });
    return new RunSandbox(policy, scratch, opts.tmp);
  }

  /** The stand-ins of the masked secrets, by variable name: what the agent's environment holds. */
  standIns(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [standIn, m] of standIns) {
      if (masked.some((x) => x.name === m.name && x.at === undefined)) out[m.name] = standIn;
    }
    return out;
  }

  /** The masked files to put in the run's HOME (`at` is `~/...`): stand-ins only. */
  standInFiles(): Array<{ at: string; content: string }> {
    return [...files];
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
    // The runtime reads a masked secret's real value from this process's environment while it
    // wraps (and sets the stand-in inside): present for that moment only, never in a child's.
    const saved = new Map(masked.map((m) => [m.name, process.env[m.name]]));
    for (const m of masked) process.env[m.name] = m.value;
    try {
      const { argv } = await manager.wrapWithSandboxArgv(inner, "/bin/sh", undefined, undefined, cwd);
      for (const m of (argv[2] ?? "").matchAll(/--bind (\/tmp\/claude-(?:http|socks)-[0-9a-f]+\.sock) /g)) {
        if (m[1]) sockets.add(m[1]);
      }
      return withBinds(argv, this.policy.binds, runtimeBinaries().named.bwrapPath);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      process.chdir(previous);
    }
  }

  /**
   * Starts this process's runtime ahead of its first policy, while the caller does other work
   * (a session adds its worktree meanwhile): loading the runtime and starting its proxies and
   * bridges take ~0.2 s. It starts with no host allowed and no folder writable; start() then
   * re-targets it to the run's policy (nothing is wrapped under the warm-up's settings). Not for
   * masked secrets: TLS termination is fixed when the runtime starts. start() reports failures.
   */
  static prewarm(): void {
    if (initialized || warming) return;
    warming = (async () => {
      // initialize checks the dependencies itself and refuses when one is missing; start()
      // then tries again, and its message names the fix.
      await (await loadManager()).initialize(
        {
          ...runtimeBinaries().named,
          network: { allowedDomains: [], deniedDomains: [] },
          filesystem: { denyRead: [], allowWrite: [], denyWrite: [] },
        },
        askAboutHost,
      );
      initialized = true;
    })()
      // A failed initialize resets the runtime without waiting for it: waited for here, so that
      // reset cannot land on the start() that retries next.
      .catch(() => manager?.reset().catch(() => undefined))
      .finally(() => {
        warming = null;
      });
  }

  /** The policy this sandbox enforces. */
  get enforced(): Policy {
    return this.policy;
  }

  /** Where this process's proxy listens, with its token: a runner's tunnel at home leads there. */
  static endpoint(): { port: number | undefined; token: string | undefined } {
    return { port: manager?.getProxyPort(), token: manager?.getProxyAuthToken() };
  }

  /** The runtime's proxy sockets this process has bound into sandboxes (for crash clean-up). */
  static socketPaths(): string[] {
    return [...sockets];
  }

  static async stopAll(): Promise<void> {
    if (warming) await warming;
    if (manager && initialized) await manager.reset();
    initialized = false;
    denialsTo = null;
    masked = [];
    files = [];
    standIns.clear();
    setPlacements([]);
    manager?.getSentinelRegistry().clear();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
    caDir = null;
    mint = null;
  }
}

/**
 * A run's masked secrets (their hosts as bare host names), checked before anything starts: each
 * secret's hosts reachable and terminated, the company's CAs in effect, the bundled runtime.
 */
function checkedMasked(policy: Policy, asked: readonly MaskedSecret[]): MaskedSecret[] {
  const wanted = asked.map((m) => ({ ...m, hosts: [...new Set(m.hosts.map(hostOnly))] }));
  checkMaskedHosts(wanted, policy);
  if (wanted.length > 0) upstreamCaInEffect(policy.upstreamCa ?? []);
  // Fail closed: only the bundle's rewritten runtime puts a secret where its config says and
  // scrubs responses (proxy-hooks.ts); the plain runtime would reflect real values.
  if (wanted.length > 0 && !runtimePatched()) {
    throw new SandboxUnavailableError(
      "masked secrets need Ballador's bundled build (dist/bundle), whose sandbox proxy keeps real values out of responses; run npm run build",
    );
  }
  return wanted;
}

type RuntimeConfig = Parameters<Manager["initialize"]>[0];

/** What the runtime is told for a policy: binaries, network, filesystem, masked variables. */
function runtimeConfig(
  policy: Policy,
  named: Binaries["named"],
  wanted: readonly MaskedSecret[],
): RuntimeConfig {
  // Paths made later (the prompt, the run file) are left out until they exist.
  const filesystem = {
    ...policy.filesystem,
    allowRead: policy.filesystem.allowRead.filter((p) => existsSync(p)),
  };
  const network = {
    ...policy.network,
    // Only where TLS is terminated for masked secrets (the runtime keeps the first start's
    // hook): without it, request bodies are not teed through a watch that has nothing to see.
    ...(caDir
      ? {
          filterRequest: watchStandIns,
          tlsTerminate: {
            caCertPath: join(caDir, "ca.crt"),
            caKeyPath: join(caDir, "ca.key"),
            ...(policy.tlsPassthrough?.length ? { excludeDomains: policy.tlsPassthrough } : {}),
            // Inside too: a passed-through host of the company's CA is verified by the client.
            ...(policy.upstreamCa?.length ? { extraCaCertPaths: policy.upstreamCa } : {}),
          },
        }
      : {}),
  };
  return {
    ...named,
    network,
    filesystem,
    ...(wanted.length > 0
      ? {
          credentials: {
            envVars: wanted
              .filter((m) => m.at === undefined)
              .map((m) => ({ name: m.name, mode: "mask" as const, injectHosts: m.hosts })),
          },
        }
      : {}),
  };
}

/** Starts the runtime with its first policy (checking its dependencies), or re-targets it. */
async function startRuntime(manager: Manager, config: RuntimeConfig): Promise<void> {
  if (!initialized) {
    try {
      // It checks its dependencies first (ripgrep, and being root without CAP_SETFCAP).
      await manager.initialize(config, askAboutHost);
    } catch (err) {
      const m = /^Sandbox dependencies not available: (.*)$/s.exec((err as Error).message);
      if (m?.[1]) throw unavailable(m[1]);
      throw err;
    }
    initialized = true;
  } else {
    manager.updateConfig(config);
  }
}

/** A masked secret's hosts must be reachable and terminated (the proxy adds the value there only). */
function checkMaskedHosts(wanted: readonly MaskedSecret[], policy: Policy): void {
  for (const m of wanted) {
    const outside = m.hosts.find((h) => !hostCovered(h, policy.network.allowedDomains));
    const passthrough = m.hosts.find((h) => hostCovered(h, policy.tlsPassthrough ?? []));
    if (passthrough !== undefined) {
      throw new SandboxUnavailableError(
        `secret ${m.name}: its host "${passthrough}" is in sandbox.tls_passthrough, where the proxy cannot add the real value; remove it from one of the two, or set mode: pass`,
      );
    }
    if (outside !== undefined) {
      throw new SandboxUnavailableError(
        `secret ${m.name}: its host "${outside}" is not one the sandbox reaches; add it to sandbox.allow_hosts or the profile's allow_hosts in .ballador/config.yaml, or remove it from the secret's hosts`,
      );
    }
  }
}

type Registry = ReturnType<Manager["getSentinelRegistry"]>;

/**
 * Mints the stand-ins now (the runtime keeps them per name), so the agent's home can be seeded
 * with them before the agent starts; wrapping finds the same ones. Tells the proxy hooks where
 * each real value may go, and fills `files` with the masked files' stand-in content.
 */
function registerStandIns(registry: Registry, wanted: readonly MaskedSecret[]): void {
  files = [];
  const placements: Placement[] = [];
  const place = (m: MaskedSecret, standIn: string, real: string) => {
    standIns.set(standIn, { name: m.name, hosts: m.hosts });
    const header = (m.header ?? "authorization").toLowerCase();
    placements.push({ standIn, real, hosts: m.hosts, header, inBody: m.inBody === true });
    return standIn;
  };
  // The registry keeps a name's first stand-in; a derived one is given before the wrap asks.
  const register = (name: string, real: string, hosts: string[]) =>
    mint
      ? registry.registerWithSentinel(name, mint(name, real), real, hosts)
      : registry.register(name, real, hosts);
  for (const m of wanted) {
    if (m.at === undefined) {
      place(m, register(m.name, m.value, m.hosts), m.value);
      continue;
    }
    // Keys of their own: a file's spans never share a stand-in with a variable.
    const content = maskContent(m.value, m.extract, (real, i) =>
      place(m, register(`ballador-file:${m.name}#${i}`, real, m.hosts), real),
    );
    // Fail closed: a pattern that finds nothing gives no file rather than the real content.
    if (content === null) {
      throw new SandboxUnavailableError(
        `secret ${m.name}: its extract pattern matched nothing in the value, so there is nothing to mask and no file is given; fix agents.profiles.<profile>.secrets.${m.name}.extract`,
      );
    }
    files.push({ at: m.at, content });
  }
  setPlacements(placements);
}

/**
 * The runtime answers `/bin/sh -c "bwrap OPTIONS -- COMMAND"` (bwrap by the path runtimeBinaries
 * found, if any). Two changes, both checked: `exec bwrap` (bwrap is this process's direct child,
 * so its --die-with-parent ends the whole sandbox when this process dies: a kill -9 of `merge`
 * leaves no verify behind), and the per-run binds (`--ro-bind` for a read-only one) after the
 * runtime's own mounts (later mounts win), before `--`. Another shape is refused, not run.
 */
export function withBinds(argv: readonly string[], binds: readonly Bind[], bwrapPath?: string): Wrapped {
  const [file, flag, script, ...rest] = argv;
  if (
    file !== "/bin/sh" ||
    flag !== "-c" ||
    typeof script !== "string" ||
    rest.length > 0 ||
    !(script.startsWith("bwrap ") || (bwrapPath !== undefined && script.startsWith(`${bwrapPath} `)))
  ) {
    if (binds.length === 0 && file) return { file, args: argv.slice(1) };
    throw new SandboxUnavailableError(
      "the sandbox runtime's command has an unexpected shape; refusing to run without the ref binds",
    );
  }
  const sep = script.indexOf(" -- ");
  if (sep < 0) throw new SandboxUnavailableError("the sandbox runtime's command has no option separator");
  const mounts = binds.map(
    (b) => ` --${b.readOnly ? "ro-" : ""}bind ${shellQuote(b.source)} ${shellQuote(b.dest)}`,
  );
  return { file, args: [flag, `exec ${script.slice(0, sep)}${mounts.join("")}${script.slice(sep)}`] };
}

/**
 * The proxy verifies the real hosts it re-originates to with this process's CAs: Node's roots
 * plus NODE_EXTRA_CA_CERTS, which Node reads once, at start (Node 20 has no way to add roots
 * later, and the runtime takes no CA for its upstream connections). So the launcher starts each
 * run's supervisor with NODE_EXTRA_CA_CERTS naming a bundle of its own extras and
 * sandbox.upstream_ca; here a process whose start-time bundle lacks one of them (e.g. the
 * conductor, which runs inside the `ballador` the person started) is refused, with the fix,
 * rather than left to fail each request to the company's hosts.
 */
function upstreamCaInEffect(files: readonly string[]): void {
  if (files.length === 0) return;
  const flat = (pem: string) => pem.replace(/\s+/g, "");
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  let loaded = new Set<string>();
  try {
    if (extra) loaded = new Set(pemCertificates(readFileSync(extra, "utf8")).map(flat));
  } catch {
    // Unreadable: Node ignored it too; every file below is then missing.
  }
  for (const file of files) {
    let certs: string[] = [];
    try {
      certs = pemCertificates(readFileSync(file, "utf8"));
    } catch (err) {
      throw new SandboxUnavailableError(
        `sandbox.upstream_ca: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"}); fix the path in .ballador/config.yaml`,
      );
    }
    if (certs.length === 0 || certs.some((c) => !loaded.has(flat(c)))) {
      throw new SandboxUnavailableError(
        `sandbox.upstream_ca: ${file} is not among the CAs this process trusts (Node reads NODE_EXTRA_CA_CERTS only when it starts), so the proxy could not verify hosts it signs; start ballador with NODE_EXTRA_CA_CERTS=${file} (or a bundle holding it)`,
      );
    }
  }
}

/**
 * Sees every request the proxy parses (plain http, and terminated https): a stand-in sent
 * toward a host its secret is not for stays a stand-in (the runtime substitutes per secret and
 * host), and is recorded so `sandbox denials` can show it. Plain http never gets a real value.
 */
async function watchStandIns(request: Request): Promise<{ action: "allow" | "deny"; reason?: string }> {
  if (standIns.size === 0 || !denialsTo) return { action: "allow" };
  const url = new URL(request.url);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const texts = [request.url];
  request.headers.forEach((value, name) => {
    texts.push(`${name}: ${value}`);
  });
  for (const [standIn, m] of standIns) {
    if (!texts.some((t) => t.includes(standIn))) continue;
    const forHost = url.protocol === "https:" && m.hosts.some((h) => hostMatches(host, h));
    if (!forHost) recordDenial(denialsTo, { host, port, at: new Date().toISOString(), secret: m.name });
  }
  return { action: "allow" };
}
