// Consistency API (MECHANICS §9): the share of the last seven local dates with a completed
// mission or experiment, 0–100, as the daily rollover stored it for each date it closed.
// docs/reflection-api.md is the client contract.
import { v } from "convex/values";
import { addDays } from "../src/time";
import { invalidArgument } from "./errors";
import { userQuery } from "./functions";
import { CONSISTENCY_HISTORY_MAX_DAYS, consistencyHistory } from "./model/consistency";
import { clientInstant } from "./model/clientInput";
import { calendarAt } from "./model/progress";

/**
 * consistency(D) for the `days` local dates ending on the caller's date at `now` (a query
 * cannot read the clock), oldest first. A date appears once its rollover has run, so today
 * is never in it; dates the rollover did not close are absent.
 */
export const history = userQuery({
  args: { days: v.number(), now: v.number() },
  returns: v.array(v.object({ localDate: v.string(), consistency: v.number() })),
  handler: async (ctx, { days, now }) => {
    if (!Number.isInteger(days) || days < 1 || days > CONSISTENCY_HISTORY_MAX_DAYS) {
      throw invalidArgument(`days must be a whole number from 1 to ${CONSISTENCY_HISTORY_MAX_DAYS}`);
    }
    const { localDate } = calendarAt(ctx.user, clientInstant("now", now));
    return await consistencyHistory(ctx, ctx.user._id, addDays(localDate, 1 - days), localDate);
  },
});
