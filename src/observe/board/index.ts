/**
 * The door of observe/board/: the dashboard's live read model (the board, a task's page, its
 * terminal, a person's note). A door of its own, apart from observe/'s, because it reads logs and
 * tmux through run/: `status` and `next` go through observe/'s door and load no run/ code but
 * reconcile (docs/specs/0001-architecture.md, cold start).
 */
export * from "./board.js";
export * from "./typing.js";
