// The git adapter: every git call Ballador makes goes through here, as argument arrays.

export { ownGitStore, ownStoreRootAbove } from "./jj-store.js";
export { type Adoption, adoptObjects, checkLooseObject } from "./objects.js";
export {
  blobAt,
  branchExists,
  changedFiles,
  commitsAhead,
  committedProblems,
  commonDirOf,
  currentBranch,
  deleteBranch,
  entriesAt,
  isAncestor,
  isValidBranchName,
  mainCheckoutRoot,
  objectType,
  refFolderOf,
  refsUnder,
  repoLayout,
  resolveCommit,
  updateRef,
  worktreeTopLevel,
} from "./repo.js";
export {
  GitError,
  GitMissingError,
  type GitOptions,
  type GitResult,
  git,
  gitStoreFor,
  hardenedArgs,
  NotAGitRepoError,
  useGitStore,
  withGitFacts,
} from "./run.js";
export {
  type AddWorktreeOptions,
  addDetachedWorktree,
  addWorktree,
  dirtyFiles,
  listWorktrees,
  parseStatus,
  parseWorktreeList,
  pruneWorktrees,
  removeWorktree,
  type WorktreeInfo,
} from "./worktree.js";
