/**
 * The fast lane (`npm run test:fast`): the pure core and its tables, config, store, adapters and the
 * architecture rules; none of the full-stack runs (tmux, sandbox, agents). Folders, not a file
 * list, so a new test under test/core/ (or the others) is in the lane without touching this file.
 */
import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export const FAST_LANE = [
  "test/core/**/*.test.ts",
  "test/config/**/*.test.ts",
  "test/store/**/*.test.ts",
  "test/adapters/**/*.test.ts",
  "test/architecture.test.ts",
  "test/architecture/**/*.test.ts",
  // The dashboard's pure layout (no browser, no server).
  "test/dashboard-web/waves.test.ts",
];

/** Full-stack files inside those folders: a real project and the real CLI per row (launches included). */
export const FULL_STACK_IN_FAST_FOLDERS = [
  "test/config/bad-input.test.ts",
  // A real jj in real bubblewrap sandboxes, repositories and workspaces per test (about 30 s).
  "test/adapters/jj*.test.ts",
  // Real sshd hosts in network namespaces (spec 0013's shared connections), needing root.
  "test/adapters/ssh-share-race.test.ts",
];

// Not mergeConfig: it would append to `include` instead of narrowing it.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: FAST_LANE,
    exclude: [...configDefaults.exclude, ...FULL_STACK_IN_FAST_FOLDERS],
  },
});
