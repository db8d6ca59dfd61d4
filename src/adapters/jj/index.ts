// The jj adapter: every jj call Ballador makes goes through here (see docs/specs/0015-jujutsu.md).

export { seedRunGitStore, seedSecureConfigMetadata } from "./git-store.js";
export { type Expected, expectNow, guardCheck, type Violation } from "./guard.js";
export { advanceBase, mergeCandidate } from "./merge.js";
export {
  type AgentOp,
  adoptCommit,
  importGitRefs,
  readAgentOp,
  readTaskOp,
  realOpHeads,
  seedOpHeads,
  taskOpFile,
} from "./op-heads.js";
export { adoptOpStore, keepCopy, seedOpStore, seedRunObjects } from "./op-store.js";
export { exportGitRefs, workingCopyChanges } from "./own-store.js";
export { pushBookmark } from "./push.js";
export { type ReconcileWorkspaces, reconcileWorkspaces } from "./reconcile.js";
export { hostArgs, JjError, type JjOptions, type JjResult, jj } from "./run.js";
export { type AgentPaths, agentPaths, type RunCopies } from "./sandbox-paths.js";
export { squashRange } from "./squash.js";
export { atLeast, detectVcs, gitStoreOf, isColocated, JJ_MINIMUM, jjVersion, type Vcs } from "./version.js";
export {
  type AddWorkspaceOptions,
  addWorkspace,
  commitOf,
  commitsBetween,
  deleteBookmark,
  evolog,
  forgetWorkspace,
  listBookmarks,
  listWorkspaces,
  setBookmark,
  taskHeadRevset,
} from "./workspace.js";
