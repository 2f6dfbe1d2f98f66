import { describe, expect, it } from "vitest";
import * as worker from "../src/index.ts";

describe("the Worker's main module", () => {
  it("exports only what workerd accepts there: the handler and Durable Object classes", () => {
    // Anything else (a constant, say) makes workerd refuse the module: "Incorrect type for
    // map entry", and the Worker never starts, under `wrangler dev` and once deployed.
    const refused = Object.entries(worker)
      .filter(([name, value]) => name !== "default" && typeof value !== "function")
      .map(([name]) => name);
    expect(refused).toEqual([]);
    expect(typeof worker.default.fetch).toBe("function");
    expect(typeof worker.default.scheduled).toBe("function");
  });
});
