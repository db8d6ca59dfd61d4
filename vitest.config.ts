import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn git, tmux and node processes; two cores do not gain from more workers.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
    // expect.poll (the browser tests) waits on a loaded machine: 1 s by default is too short.
    expect: { poll: { timeout: 20_000, interval: 100 } },
  },
});
