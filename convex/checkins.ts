// Check-ins API (MECHANICS §9): log an emotion or an energy reading, read today's and the
// paginated history (newest first), remove one of your own. Emotions the extraction read in
// a message (source "inferred") show up here too and can be removed the same way.
// docs/reflection-api.md is the client contract.
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { userMutation, userQuery } from "./functions";
import { checkinsOn, logEmotion as logEmotionRow, logEnergy as logEnergyRow } from "./model/checkins";
import { clientInstant } from "./model/clientInput";
import { calendarAt } from "./model/progress";
import { loadOwned } from "./model/userTables";
import schema from "./schema";
import { mapperOf, vEmotionValence } from "./validators";

// The table is a union, one member per kind (convex-helpers' `doc` types a union table as a
// plain Validator, so the members come from the table's own validator): each view member is
// its row without the owner, plus `_id`; a field added to either member is in the view with
// no other edit.
const [emotionRow, energyRow] = schema.tables.checkins.validator.members;
const vEmotionCheckinView = emotionRow.omit("userId").extend({ _id: v.id("checkins") });
const vEnergyCheckinView = energyRow.omit("userId").extend({ _id: v.id("checkins") });
const toEmotionCheckinView = mapperOf(vEmotionCheckinView);
const toEnergyCheckinView = mapperOf(vEnergyCheckinView);

/** A check-in as a client sees it: an emotion or an energy reading. */
export const vCheckinView = v.union(vEmotionCheckinView, vEnergyCheckinView);
export type CheckinView = Infer<typeof vCheckinView>;

export function toCheckinView(c: Doc<"checkins">): CheckinView {
  return c.kind === "energy" ? toEnergyCheckinView(c) : toEmotionCheckinView(c);
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
    const checkin = await loadOwned(ctx, "checkins", checkinId, ctx.user._id);
    await ctx.db.delete("checkins", checkin._id);
    return null;
  },
});
