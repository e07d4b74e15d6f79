// Check-ins API (MECHANICS §9): log an emotion or an energy reading, read today's and the
// paginated history (newest first), remove one of your own. Emotions the extraction read in
// a message (source "inferred") show up here too and can be removed the same way.
// docs/reflection-api.md is the client contract.
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { userMutation, userQuery } from "./functions";
import { checkinsOn, logEmotion as logEmotionRow, logEnergy as logEnergyRow, ownCheckinOrThrow } from "./model/checkins";
import { clientInstant } from "./model/clientInput";
import { calendarAt } from "./model/progress";
import { vEmotionFields, vEmotionValence, vEnergyFields } from "./validators";

const vBase = { _id: v.id("checkins"), localDate: v.string(), createdAt: v.number() };

/** A check-in as a client sees it: an emotion or an energy reading. */
export const vCheckinView = v.union(
  v.object({ ...vBase, kind: v.literal("emotion"), ...vEmotionFields }),
  v.object({ ...vBase, kind: v.literal("energy"), ...vEnergyFields }),
);
export type CheckinView = Infer<typeof vCheckinView>;

export function toCheckinView(c: Doc<"checkins">): CheckinView {
  const base = { _id: c._id, localDate: c.localDate, createdAt: c.createdAt };
  if (c.kind === "energy") return { ...base, kind: "energy", level: c.level, note: c.note };
  return {
    ...base,
    kind: "emotion",
    valence: c.valence,
    label: c.label,
    intensity: c.intensity,
    source: c.source,
    conversationId: c.conversationId,
    messageId: c.messageId,
  };
}

/** How the user feels: valence, a 1–40 character label, intensity 0–1 (INVALID_ARGUMENT otherwise). */
export const logEmotion = userMutation({
  args: {
    valence: vEmotionValence,
    label: v.string(),
    intensity: v.number(),
    conversationId: v.optional(v.id("conversations")),
  },
  returns: vCheckinView,
  handler: async (ctx, args) => toCheckinView(await logEmotionRow(ctx, ctx.user, args, Date.now())),
});

/** Energy: a whole number 1–10 and an optional note of at most 500 characters. */
export const logEnergy = userMutation({
  args: { level: v.number(), note: v.optional(v.string()) },
  returns: vCheckinView,
  handler: async (ctx, args) => toCheckinView(await logEnergyRow(ctx, ctx.user, args, Date.now())),
});

/**
 * The check-ins of the caller's local date at `now` (a query cannot read the clock), newest
 * first, with `resetsAt`: when to subscribe again with a new `now`.
 */
export const today = userQuery({
  args: { now: v.number() },
  returns: v.object({ localDate: v.string(), resetsAt: v.number(), checkins: v.array(vCheckinView) }),
  handler: async (ctx, { now }) => {
    const calendar = calendarAt(ctx.user, clientInstant("now", now));
    const rows = await checkinsOn(ctx, ctx.user._id, calendar.localDate);
    return { ...calendar, checkins: rows.map(toCheckinView) };
  },
});

/** Every check-in of the caller, newest first, a page at a time. */
export const history = userQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vCheckinView),
  handler: async (ctx, { paginationOpts }) => {
    const page = await ctx.db
      .query("checkins")
      .withIndex("by_user", (q) => q.eq("userId", ctx.user._id))
      .order("desc")
      .paginate(paginationOpts);
    return { ...page, page: page.page.map(toCheckinView) };
  },
});

/** Deletes one of the caller's check-ins (self-logged or inferred); another user's is NOT_FOUND. */
export const remove = userMutation({
  args: { checkinId: v.id("checkins") },
  returns: v.null(),
  handler: async (ctx, { checkinId }) => {
    const checkin = await ownCheckinOrThrow(ctx, ctx.user._id, checkinId);
    await ctx.db.delete("checkins", checkin._id);
    return null;
  },
});
