// The git adapter: every git call Ballador makes goes through here, as argument arrays.

export {
  branchExists,
  changedFiles,
  commitsAhead,
  currentBranch,
  deleteBranch,
  isAncestor,
  isValidBranchName,
  mainCheckoutRoot,
  resolveCommit,
  worktreeTopLevel,
} from "./repo.js";
export {
  GitError,
  GitMissingError,
  type GitOptions,
  type GitResult,
  git,
  NotAGitRepoError,
} from "./run.js";
export {
  type AddWorktreeOptions,
  addWorktree,
  dirtyFiles,
  listWorktrees,
  parseStatus,
  parseWorktreeList,
  pruneWorktrees,
  removeWorktree,
  type WorktreeInfo,
} from "./worktree.js";
