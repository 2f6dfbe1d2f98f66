import { budgetRefusalText, budgetStoppedText } from "../budget/budget-text.ts";
import { type ChannelLedger, ledgerFor, utcDay } from "../budget/channel-ledger.ts";
import { estimateCost, extendTarget, runningCost } from "../budget/estimate.ts";
import { operatorConfig } from "../config.ts";
import { QuarryError } from "../errors.ts";
import { isDeepResearchModel } from "../openrouter/model-rules.ts";
import type { ModelInfo } from "../openrouter/types.ts";
import type { ChannelSettings } from "../settings/settings.ts";
import type { AnswerJob } from "./answer-job.ts";
import { estimateTokens } from "./history.ts";

/** The abort reason of an answer stopped at the budget; `text` says so in the thread. */
export class BudgetReached extends QuarryError {
  constructor(readonly text: string) {
    super("budget_reached", "the answer reached the channel's daily budget");
    this.name = "BudgetReached";
  }
}

/** What has streamed so far, for the running estimate. */
export interface Streaming {
  completionChars: number;
  reasoningChars: number;
  webSearches: number;
}

/**
 * One answer's share of its channel's daily budget, in the channel's ledger: an estimate
 * reserved before the start (so concurrent threads cannot overspend together), grown while
 * the running estimate passes it, and settled to the reported cost at the end. Booked to
 * the UTC day the answer started. Without a budget nothing is reserved; the cost is booked.
 */
export class AnswerBudget {
  private held: number;
  private growing?: Promise<void>;
  private stopped = false;

  private constructor(
    private readonly job: AnswerJob,
    private readonly ledger: ChannelLedger,
    private readonly model: ModelInfo,
    private readonly budgetUsd: number | undefined,
    private readonly estimateUsd: number,
    private readonly promptTokens: number,
    held: number,
  ) {
    this.held = held;
  }

  /** Reserves the estimate; a refusal (the budget is used up, or 0) comes back as its text. */
  static async open(
    job: AnswerJob,
    settings: ChannelSettings,
    model: ModelInfo,
  ): Promise<AnswerBudget | { refusal: string }> {
    const { platform, channelId } = job.q.thread;
    const ledger = ledgerFor(job.deps.env, platform, channelId);
    const promptTokens = estimateTokens(`${settings.system}\n${job.q.text}`);
    const estimateUsd = estimateCost(model, {
      promptTokens,
      maxTokens: settings.max_tokens,
      deepResearch: isDeepResearchModel(model.id),
      webSearch: settings.web_search,
    });
    const budgetUsd = settings.daily_budget_usd;
    if (budgetUsd === undefined)
      return new AnswerBudget(job, ledger, model, undefined, estimateUsd, promptTokens, 0);
    const reserved = await ledger.reserve({ ...booking(job), estimateUsd, budgetUsd });
    if (!reserved.ok) return { refusal: budgetRefusalText(texts(job, budgetUsd, reserved)) };
    return new AnswerBudget(
      job,
      ledger,
      model,
      budgetUsd,
      estimateUsd,
      promptTokens,
      reserved.reservedUsd,
    );
  }

  /**
   * Checks the running estimate against what the answer holds; grows the hold when it
   * passes it, and stops the answer (aborting the model, which stops billing) when the
   * ledger has nothing more to give.
   */
  track(now: Streaming): void {
    if (this.budgetUsd === undefined || this.growing || this.stopped) return;
    const running = runningCost(this.model, { promptTokens: this.promptTokens, ...now });
    if (running <= this.held) return;
    const toUsd = extendTarget(running, this.estimateUsd);
    const budgetUsd = this.budgetUsd;
    this.growing = this.ledger
      .extend({ ...booking(this.job), toUsd, budgetUsd })
      .then((grown) => {
        if (grown.ok) this.held = Math.max(this.held, grown.reservedUsd);
        if (grown.ok && this.held >= running) return;
        this.stopped = true;
        const day = grown.ok ? { spentUsd: 0, reservedUsd: this.held } : grown;
        this.job.controller.abort(
          new BudgetReached(budgetStoppedText(texts(this.job, budgetUsd, day))),
        );
      })
      .catch((err) => this.job.log.warn("answer.budget_unreachable", { error: err }))
      .finally(() => {
        this.growing = undefined;
      });
  }

  /** The reported cost (or, when none came, the running estimate) replaces the hold. */
  async settle(costUsd: number | undefined, fallback: Streaming): Promise<void> {
    const cost =
      costUsd ?? runningCost(this.model, { promptTokens: this.promptTokens, ...fallback });
    try {
      await this.growing;
      await this.ledger.settle({ ...booking(this.job), costUsd: cost });
    } catch (err) {
      this.job.log.error("answer.booking_failed", { cost_usd: cost, error: err });
    }
  }

  /** The answer never asked the model: its hold goes back to the channel. */
  async release(): Promise<void> {
    if (this.budgetUsd === undefined) return;
    await this.ledger
      .release(booking(this.job))
      .catch((err) => this.job.log.warn("answer.budget_unreachable", { error: err }));
  }
}

/** One booking per run of a question, on the UTC day it started. */
function booking(job: AnswerJob): { day: string; id: string } {
  return { day: utcDay(job.startedAt), id: `${job.q.id}#${job.row.attempts}` };
}

function texts(job: AnswerJob, budgetUsd: number, day: { spentUsd: number; reservedUsd: number }) {
  const { platform } = job.q.thread;
  return {
    spentUsd: day.spentUsd,
    reservedUsd: day.reservedUsd,
    budgetUsd,
    now: job.now(),
    platform,
    dm: job.q.trigger === "dm" || job.q.thread.workspaceId === "",
    dmPolicy: operatorConfig(job.deps.env).dmSettings,
  };
}
