/** Which move a card dropped on a board column asks for (pure): only moves its task can make. */
import { describe, expect, it } from "vitest";
import { dropAction } from "../../src/dashboard/web/task-actions.js";

const move = (state: string, column: string) => dropAction(state, column)?.action ?? null;

describe("board card moves", () => {
  it("asks for the action the column stands for, by the task's state", () => {
    expect(move("ready", "running")).toBe("launch");
    expect(move("failed", "running")).toBe("resume");
    expect(move("stopped", "running")).toBe("resume");
    expect(move("running", "waiting")).toBe("stop");
    expect(move("review", "done")).toBe("merge");
    expect(move("ready", "done")).toBe("abandon");
    expect(move("running", "done")).toBe("abandon");
  });

  it("refuses moves no action makes", () => {
    expect(move("queued", "running")).toBeNull();
    expect(move("review", "running")).toBeNull();
    expect(move("ready", "review")).toBeNull();
    expect(move("merged", "done")).toBeNull();
    expect(move("abandoned", "running")).toBeNull();
    expect(move("review", "todo")).toBeNull();
  });
});
