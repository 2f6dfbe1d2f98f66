import type { Env as QuarryEnv } from "../src/config.ts";

// `env` from "cloudflare:workers" carries the Worker's bindings in tests.
declare global {
  namespace Cloudflare {
    interface Env extends QuarryEnv {}
  }
}
