import { ChatApiError, ConfigError, QuarryError } from "../errors.ts";
import { redactText } from "../log.ts";
import { OpenRouterError, toUserMessage } from "../openrouter/openrouter-error.ts";

/** One plain sentence for a failure that is not OpenRouter's (those have their own texts). */
export function failureText(err: unknown): string {
  if (err instanceof ConfigError)
    return `Quarry is not fully configured: ${err.message}. An admin needs to set it (see the README).`;
  if (err instanceof ChatApiError)
    return `The chat platform refused a call (${err.platformError ?? err.code}); the answer could not be completed.`;
  if (err instanceof QuarryError) return err.message;
  return "Something went wrong inside Quarry while answering. The error was logged; please ask again.";
}

/**
 * The plain sentence for any failure, OpenRouter's included, with `secrets` (and anything
 * shaped like a key or token) taken out: it quotes what an upstream said, and an upstream
 * may quote what it was sent.
 */
export function describeFailure(err: unknown, secrets: readonly string[] = []): string {
  return redactText(
    err instanceof OpenRouterError ? toUserMessage(err) : failureText(err),
    secrets,
  );
}
