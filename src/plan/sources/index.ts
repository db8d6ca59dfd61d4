/** The door of plan/sources/ (issue 33): trackers' issues as parts. */

export {
  listSource,
  type SourceListResult,
  type SourceSyncResult,
  syncAllSources,
  syncSource,
} from "./sync.js";
