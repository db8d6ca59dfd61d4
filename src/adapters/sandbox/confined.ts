/**
 * The policy of a conductor run (`ballador plan`, `ballador spec draft`): the repository and
 * the rest of the machine readable (secrets, the task store and task worktrees excepted), and
 * exactly the given folders writable: the one output folder, the run's HOME and TMPDIR. No git
 * metadata, no worktree, no config: a conductor writes parts or a spec, nothing else.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DENY_READ, expandHome, LOOPBACK_HOSTS, type Policy } from "./policy.js";

export interface ConfinedPolicyInput {
  /** The only folders the conductor writes besides its HOME and TMPDIR. */
  output: readonly string[];
  /** The run's folder: host-only, neither readable nor writable inside (HOME and TMPDIR are subfolders). */
  runDir: string;
  home: string;
  tmp: string;
  /** Unreadable inside: the task store and run folders, and the task worktrees. */
  stateDir: string;
  worktreeRoot: string;
  gitCommonDir: string;
  allowHosts: readonly string[];
  denyRead: readonly string[];
  /** As for task runs (policy.ts): hosts tunnelled untouched, extra CAs for upstream hosts. */
  tlsPassthrough?: readonly string[];
  upstreamCa?: readonly string[];
  realHome?: string;
}

export function buildConfinedPolicy(input: ConfinedPolicyInput): Policy {
  const home = input.realHome ?? homedir();
  const allowedDomains = [...new Set(input.allowHosts)];
  return {
    // Like a reviewer's: no worktree to write, no ref copies to bind.
    kind: "reviewer",
    binds: [],
    network: { allowedDomains, deniedDomains: [] },
    filesystem: {
      denyRead: [
        ...new Set([...DEFAULT_DENY_READ, ...input.denyRead].map((p) => expandHome(p, home))),
        input.worktreeRoot,
        input.stateDir,
      ],
      // The run folder sits in the (unreadable) state folder; its agent-writable subfolders
      // are readable again. The run folder itself stays host-only: the runtime would mount it
      // read-only over the writable subfolders.
      allowRead: [...new Set([input.home, input.tmp, ...input.output])],
      allowWrite: [...new Set([...input.output, input.home, input.tmp])],
      // The runtime makes these writable whenever they exist on the host (see policy.ts).
      denyWrite: [join(home, ".npm", "_logs"), join(home, ".claude", "debug"), "/tmp/claude"].filter((p) =>
        existsSync(p),
      ),
    },
    tlsPassthrough: [...new Set(input.tlsPassthrough ?? [])],
    upstreamCa: [...new Set(input.upstreamCa ?? [])],
    loopbackAllowed: LOOPBACK_HOSTS.filter((h) => allowedDomains.includes(h)),
    // A conductor makes no commits; new objects would have nowhere writable to go.
    gitObjects: { own: join(input.tmp, "no-objects"), shared: join(input.gitCommonDir, "objects") },
  };
}
