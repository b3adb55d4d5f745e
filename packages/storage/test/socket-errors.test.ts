import { connect } from "node:net";
import { freePort } from "@printfab/testkit";
import { describe, expect, it } from "vitest";
import { isSocketError } from "../src/socket-errors.ts";

describe("isSocketError", () => {
  it("recognises a real refused connection, and nothing that is not a network failure", async () => {
    const port = await freePort();
    const refused = await new Promise<Error>((resolve) => connect(port, "127.0.0.1").on("error", resolve));
    expect(isSocketError(refused)).toBe(true);
    expect(isSocketError(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(true);
    expect(isSocketError(Object.assign(new Error("dup"), { code: "23505" }))).toBe(false);
    expect(isSocketError(new Error("no code"))).toBe(false);
    expect(isSocketError(null)).toBe(false);
  });
});
