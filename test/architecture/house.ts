/**
 * Ballador's house, as the architecture test enforces it (docs/specs/0001-architecture.md).
 * Units are the folders of src/ (and its two top-level files); paths elsewhere are from the
 * package root.
 */
import type { House } from "./rules.js";

/** The stages: use cases, one folder each. */
const STAGES = [
  "project",
  "verify",
  "notify",
  "run",
  "deliver",
  "plan",
  "observe",
  "watch",
  "setup",
  "inside",
];

export const HOUSE: House = {
  // THE table of floors, bottom up. A unit imports only units on lower floors: never up, never
  // sideways to another unit of its floor (except a face entering a face, see `faces`).
  floors: [
    ["core"], // pure rules: yaml, zod, picomatch and itself
    // Leaf files: import nothing of src; anything but the pure core may use them.
    ["package-root.ts", "version.ts"],
    ["config"],
    ["adapters"], // one outside thing per folder; adapters may use one another
    ["project"],
    ["verify", "notify"],
    ["run"],
    ["deliver", "plan", "observe"],
    ["watch"],
    // inside/ is the agent's side (done, blocked, note, hook, approve): on top, so no host
    // stage can import it; only the CLI reaches it.
    ["setup", "inside"],
    ["cli", "mcp", "dashboard"], // the faces
  ],
  islands: {
    // A program of its own (bin/ballador-scripted-agent.js), the fake agent of the tests.
    "scripted-agent": ["node:", "yaml", "zod"],
    // The dashboard's page: runs in the browser, bundled apart.
    "dashboard/web": ["@xterm/xterm"],
  },
  // The page reads the board's rows as the server writes them: their type lives in the pure core.
  islandTypes: { "dashboard/web": ["core"] },
  pure: { unit: "core", packages: ["yaml", "zod", "picomatch"] },
  faces: {
    // The MCP server and the dashboard are thin faces: use cases (and core), never adapters,
    // config or another face. The CLI is the face that starts the other two.
    mcp: {
      reaches: [...STAGES.filter((s) => s !== "inside"), "core", "version.ts"],
      packages: ["zod", "@modelcontextprotocol/sdk/"],
      enteredFrom: ["src/cli/commands/conductor-commands.ts"],
    },
    dashboard: {
      reaches: [...STAGES.filter((s) => s !== "inside"), "core", "version.ts", "package-root.ts"],
      enteredFrom: ["src/cli"],
    },
  },
  doors: [
    ...STAGES.map((s) => `src/${s}`),
    "src/run/supervise",
    "src/run/recover",
    // Reading the queue without the rest of the stage: the read fast path (spec 0017).
    "src/project/reading",
    "src/observe/reading",
    "src/observe/board",
    "src/plan/sources",
    "src/adapters/hostile",
  ],
  // An adapter folder with an index.ts is entered through it (git, store, sandbox, tmux, ...);
  // agents/, files/, process/ and terminal/ are small sets of files, each its own door.
  doorsWhenIndexed: ["src/adapters"],
  trust: {
    // Code that defends against links (opening without following one, asking where an open
    // file really is, detecting a link) is the mark of reading agent-writable trees; it lives
    // only in the hostile door. lstat and realpath alone are not marks: the host uses them on
    // its own paths (a tmux socket, the person's checkout).
    linkSafe: {
      home: "src/adapters/hostile",
      markers: /^(O_NOFOLLOW|isSymbolicLink|readlink|readlinkSync)$|\/proc\/self\/fd/,
    },
    neverLoads: [
      // What runs inside the sandbox as the agent never loads the task store or the sandbox
      // boundary, not even through another module: it reports through the run folder only.
      { from: "src/inside", boundaries: ["src/adapters/store", "src/adapters/sandbox"] },
      // status and next (observe/'s door) start fast: they load run/recover/ to reconcile, never
      // run/'s door, launch or the supervisor. The dashboard's board (observe/board/) reads logs
      // and tmux through run/'s door.
      {
        from: "src/observe",
        except: ["src/observe/board"],
        boundaries: ["src/run/index.ts", "src/run/launch.ts", "src/run/supervise"],
      },
    ],
    onlyUsedBy: [
      {
        name: "writeRunSpec",
        home: "src/adapters/runfolder/index.ts",
        by: ["src/run/provision.ts", "src/run/run-spec.ts", "src/run/supervise"],
        why: "the run spec is written by provisioning and the supervisor's next attempt only",
      },
      {
        name: "openProject",
        home: "src/project/open.ts",
        by: [
          "src/cli",
          "src/mcp",
          "src/dashboard",
          "src/watch",
          "src/run/supervise/supervise.ts",
          // A remote run's two processes (spec 0013): the relay at home, runner-serve on the runner.
          "src/run/remote/relay.ts",
          "src/run/remote/serve.ts",
          "src/run/remote/serve-prepare.ts",
          "src/run/remote/serve-continue.ts",
        ],
        why: "the project is opened by the faces, the watcher and the supervisor's loop only",
      },
    ],
  },
  tests: {
    // Folders whose tests drive bin/ballador.js (through test/helpers/), and the helpers. The
    // unit folders (core, adapters, config, store, scripted-agent, architecture, and the files
    // at test/'s top) import src/ freely.
    e2e: [
      "test/helpers",
      "test/e2e",
      "test/runtime",
      "test/sandbox",
      "test/verification",
      "test/pipelines",
      "test/dashboard",
      "test/conductor",
      "test/agents",
      "test/shell",
      "test/jj",
      "test/runners",
    ],
    mayImport: [],
  },
  size: { functionMax: 80, fileMax: 500, under: "src" },
};
