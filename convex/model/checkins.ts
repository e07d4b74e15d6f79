// Check-ins (MECHANICS §9): the only writer of `checkins`. Emotions come from the user
// (`self`) or from the extraction pipeline reading one in a message (`inferred`, at most one
// per message); energy readings only from the user. Bounds live in src/mechanics/reflection.ts.
import type { CleanEmotion } from "../../src/llm/sanitize";
import {
  cleanEmotionLabel,
  emotionProblem,
  energyProblem,
  type EmotionInput,
  type EnergyInput,
} from "../../src/mechanics/reflection";
import { localDate, effectiveTimeZone } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { invalidArgument } from "../errors";
import { loadOwned } from "./userTables";

/** Most check-ins `checkins.today` returns (newest first). */
export const TODAY_CHECKIN_READS = 200;

async function inserted(ctx: MutationCtx, id: Id<"checkins">): Promise<Doc<"checkins">> {
  const row = await ctx.db.get("checkins", id);
  if (row === null) throw new Error("check-in vanished inside its own transaction");
  return row;
}

/** The user logs how they feel. INVALID_ARGUMENT names the bad field; a foreign conversation is NOT_FOUND. */
export async function logEmotion(
  ctx: MutationCtx,
  user: Doc<"users">,
  input: EmotionInput & { conversationId?: Id<"conversations"> },
  now: number,
): Promise<Doc<"checkins">> {
  const problem = emotionProblem(input);
  if (problem !== null) throw invalidArgument(problem);
  if (input.conversationId !== undefined) await loadOwned(ctx, "conversations", input.conversationId, user._id);
  const id = await ctx.db.insert("checkins", {
    userId: user._id,
    kind: "emotion",
    localDate: localDate(now, effectiveTimeZone(user)),
    createdAt: now,
    valence: input.valence,
    label: cleanEmotionLabel(input.label),
    intensity: input.intensity,
    source: "self",
    conversationId: input.conversationId,
  });
  return await inserted(ctx, id);
}

/** The user logs their energy (a whole number 1–10, an optional note). */
export async function logEnergy(
  ctx: MutationCtx,
  user: Doc<"users">,
  input: EnergyInput,
  now: number,
): Promise<Doc<"checkins">> {
  const problem = energyProblem(input);
  if (problem !== null) throw invalidArgument(problem);
  const note = input.note?.trim();
  const id = await ctx.db.insert("checkins", {
    userId: user._id,
    kind: "energy",
    localDate: localDate(now, effectiveTimeZone(user)),
    createdAt: now,
    level: input.level,
    note: note === undefined || note.length === 0 ? undefined : note,
  });
  return await inserted(ctx, id);
}

/**
 * The emotion extraction read in a user message (already sanitized: src/llm/sanitize.ts).
 * At most one per message (checkins.by_message), so a replayed apply adds nothing. Returns
 * whether it wrote.
 */
export async function recordInferredEmotion(
  ctx: MutationCtx,
  user: Doc<"users">,
  message: Doc<"messages">,
  emotion: CleanEmotion,
  now: number,
): Promise<boolean> {
  if (emotionProblem(emotion) !== null) return false; // the sanitizer's bounds are the same
  const existing = await ctx.db
    .query("checkins")
    .withIndex("by_message", (q) => q.eq("messageId", message._id))
    .first();
  if (existing !== null) return false;
  await ctx.db.insert("checkins", {
    userId: user._id,
    kind: "emotion",
    localDate: localDate(now, effectiveTimeZone(user)),
    createdAt: now,
    valence: emotion.valence,
    label: cleanEmotionLabel(emotion.label),
    intensity: emotion.intensity,
    source: "inferred",
    conversationId: message.conversationId,
    messageId: message._id,
  });
  return true;
}

/** The caller's check-ins of one local date, newest first (at most TODAY_CHECKIN_READS). */
export async function checkinsOn(ctx: QueryCtx, userId: Id<"users">, date: string): Promise<Doc<"checkins">[]> {
  return await ctx.db
    .query("checkins")
    .withIndex("by_user_date", (q) => q.eq("userId", userId).eq("localDate", date))
    .order("desc")
    .take(TODAY_CHECKIN_READS);
}
