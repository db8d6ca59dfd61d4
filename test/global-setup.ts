/** Builds dist/ once before the suite (the CLI, its bundle and the dashboard's page): end-to-end tests run the real `ballador` executable. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
  execFileSync(process.execPath, [`${root}scripts/build-bundle.mjs`], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}scripts/build-dashboard.mjs`], { cwd: root, stdio: "inherit" });
}
