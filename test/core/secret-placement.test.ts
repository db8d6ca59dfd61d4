import { describe, expect, it } from "vitest";
import { ConfigLayerSchema } from "../../src/config/schema.js";
import { maskedFileProblem } from "../../src/core/secrets.js";

const profile = (secret: Record<string, unknown>) => ({
  agents: { profiles: { s: { command: ["true"], secrets: { T: { env: "T", ...secret } } } } },
});

describe("where a masked secret's real value goes (header, in_body)", () => {
  it("accepts a header name and in_body on a masked secret", () => {
    expect(
      ConfigLayerSchema.safeParse(profile({ hosts: ["api.example.com"], header: "x-api-key", in_body: true }))
        .success,
    ).toBe(true);
    expect(maskedFileProblem({ env: "T", hosts: ["h"], header: "Private-Token", in_body: false })).toBeNull();
  });

  it("refuses a header that is not a header name, naming the key", () => {
    const r = ConfigLayerSchema.safeParse(profile({ hosts: ["h"], header: "X-Api-Key: value" }));
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain("a header name such as x-api-key");
    expect(r.error?.issues[0]?.path.join(".")).toContain("header");
  });

  it("refuses header or in_body on a passed secret, with the fix", () => {
    expect(maskedFileProblem({ env: "T", header: "x-api-key" })).toMatchObject({
      key: "header",
      message: expect.stringContaining("add hosts (and mode: mask), or remove header"),
    });
    expect(maskedFileProblem({ env: "T", hosts: ["h"], mode: "pass", in_body: true })).toMatchObject({
      key: "in_body",
    });
  });
});
