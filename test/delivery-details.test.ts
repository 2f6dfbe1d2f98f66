import { describe, expect, it } from "vitest";
import {
  discordDelivery,
  discordDeliveryOf,
  discordMetaOf,
  discordSent,
} from "../adapters/discord/delivery.ts";
import {
  slackDelivery,
  slackDeliveryOf,
  slackMetaOf,
  slackSent,
} from "../adapters/slack/delivery.ts";
import type { Question, SentMessage } from "../src/chat/types.ts";

/** A question as a checkpoint row held it before the details were typed: plain JSON. */
const storedQuestion = (platform: "slack" | "discord", delivery: object): Question =>
  JSON.parse(
    JSON.stringify({
      id: `${platform}:q1`,
      thread: { platform, workspaceId: "W1", channelId: "C1", threadId: "T1" },
      text: "What changed?",
      trigger: "mention",
      user: { id: "U1" },
      receivedAt: 1_700_000_000_000,
      delivery,
    }),
  );

describe("typed delivery and message details", () => {
  it("reads the rows stored as string bags, key for key", () => {
    const slack = storedQuestion("slack", {
      recipientUserId: "U1",
      recipientTeamId: "T0",
      channelType: "im",
    });
    expect(slackDeliveryOf(slack)).toEqual({
      recipientUserId: "U1",
      recipientTeamId: "T0",
      channelType: "im",
    });
    const discord = storedQuestion("discord", {
      interactionToken: "tok",
      applicationId: "A1",
      interactionExpiresAt: "1700000900000",
      channelId: "C2",
      inThread: "1",
    });
    expect(discordDeliveryOf(discord)).toMatchObject({
      interactionToken: "tok",
      interactionExpiresAt: "1700000900000",
      inThread: "1",
    });
    const posted: SentMessage = JSON.parse(
      '{"id":"m1","meta":{"via":"webhook","channelId":"C2","original":"1"}}',
    );
    expect(discordMetaOf(posted)).toEqual({ via: "webhook", channelId: "C2", original: "1" });
  });

  it("writes the same JSON the string bags did, so older code reads new rows too", () => {
    const sent = slackSent("1700000000.000100", { channel: "C1" });
    expect(JSON.parse(JSON.stringify(sent))).toEqual({
      id: "1700000000.000100",
      meta: { channel: "C1" },
    });
    expect(slackMetaOf(JSON.parse(JSON.stringify(sent)))).toEqual({ channel: "C1" });
    const delivery = discordDelivery({ channelId: "C2", replyTo: "M1", inThread: "1" });
    expect(JSON.parse(JSON.stringify(delivery))).toEqual({
      channelId: "C2",
      replyTo: "M1",
      inThread: "1",
    });
    expect(discordMetaOf(discordSent("m2", { via: "channel", channelId: "C2" }))).toEqual({
      via: "channel",
      channelId: "C2",
    });
  });

  it("gives one platform's adapter nothing of another's details", () => {
    const slack = storedQuestion("slack", {
      recipientUserId: "U1",
      recipientTeamId: "T0",
      channelType: "im",
    });
    expect(discordDeliveryOf(slack)).toEqual({});
    const discord = storedQuestion("discord", { channelId: "C2", replyTo: "M1" });
    expect(slackDeliveryOf(discord)).toEqual({});
    expect(slackMetaOf({ id: "m" })).toEqual({});
  });

  it("makes a misspelt key, or a core that reads the details, a type error", () => {
    const q = storedQuestion("slack", {});
    // Checked by `tsc` (npm test): each line below must fail to type-check.
    // @ts-expect-error the key is recipientUserId
    expect(slackDeliveryOf(q).recipientUserID).toBeUndefined();
    // @ts-expect-error the core sees only an opaque brand
    expect(q.delivery?.channelType).toBeUndefined();
    // @ts-expect-error a Discord message is sent via "webhook" or "channel"
    discordSent("m", { via: "dm", channelId: "C" });
    // @ts-expect-error an interaction's delivery needs its token's expiry
    discordDelivery({ interactionToken: "t", applicationId: "A", channelId: "C" });
    // @ts-expect-error slackDelivery takes Slack's keys only
    slackDelivery({ recipientUserId: "U", recipientTeamId: "T", channelType: "im", replyTo: "M" });
  });
});
