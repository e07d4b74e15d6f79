// Quest reveals (MECHANICS §10): once a day, in the user's rollover, every hidden quest of
// their chapter whose condition holds becomes a mission (once per user and template, ever)
// with a story event. The conditions are pure (src/quests/conditions.ts) over a snapshot
// loaded here with bounded, index-only reads, and only for what the hidden quests need.
import { MIRROR_DAYS } from "../../src/mechanics/phases";
import { currentStreak } from "../../src/mechanics/progress";
import { normalizeSkillName } from "../../src/mechanics/skills";
import type { Domain } from "../../src/domain";
import { EMPTY_SNAPSHOT, dueQuests, hiddenQuests, snapshotNeeds, type QuestSnapshot, type SnapshotNeeds } from "../../src/quests/conditions";
import { QUEST_BOOK } from "../../src/quests/templates";
import { localDate, effectiveTimeZone } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { QuestReveal } from "../validators";
import { currentLifeState } from "./lifeStates";
import { createMission } from "./missions";
import { progressStateOf } from "./progress";
import { addStoryEvent, advanceChapterIfDone, createNarrativeState, narrativeState } from "./narrative";
import { beliefFor, findSkill } from "./skills";
import { MAX_ACTIVE_STARS } from "./stars";

/**
 * The current streak on the user's local date at `now` (MECHANICS §5: 0 once a whole day
 * passed without a completion), from the user's progress state document.
 */
async function streakAt(ctx: QueryCtx, user: Doc<"users">, now: number): Promise<number> {
  const { lastActiveDate, streakDays } = await progressStateOf(ctx, user);
  const last = lastActiveDate === undefined ? null : { lastActiveDate, streakDays };
  return currentStreak(last, localDate(now, effectiveTimeZone(user)));
}

/**
 * Bright stars per domain among the user's live bright stars (the live set: dismissed and
 * dormant stars are never in the range), at most MAX_ACTIVE_STARS of them (the bound of a
 * constellation read; reveal thresholds are a handful of stars).
 */
async function brightStarsByDomain(ctx: QueryCtx, userId: Id<"users">): Promise<Partial<Record<Domain, number>>> {
  const bright = await ctx.db
    .query("stars")
    .withIndex("by_user_state_type", (q) => q.eq("userId", userId).eq("state", "live").eq("type", "bright"))
    .take(MAX_ACTIVE_STARS);
  const counts: Partial<Record<Domain, number>> = {};
  for (const star of bright) counts[star.domain] = (counts[star.domain] ?? 0) + 1;
  return counts;
}

async function skillMeans(ctx: QueryCtx, userId: Id<"users">, skills: readonly string[]): Promise<Record<string, number>> {
  const means: Record<string, number> = {};
  for (const name of skills) {
    const skill = await findSkill(ctx, { skillName: name });
    const belief = skill === null ? null : await beliefFor(ctx, userId, skill._id);
    if (belief !== null) means[normalizeSkillName(name)] = belief.mean;
  }
  return means;
}

/** The user's state as the conditions see it, loading only what `needs` names. */
export async function loadQuestSnapshot(
  ctx: QueryCtx,
  user: Doc<"users">,
  now: number,
  needs: SnapshotNeeds,
): Promise<QuestSnapshot> {
  return {
    streakDays: needs.streak ? await streakAt(ctx, user, now) : EMPTY_SNAPSHOT.streakDays,
    escapeIndex: needs.escapeIndex ? ((await currentLifeState(ctx, user._id))?.escapeIndex ?? null) : null,
    skillMeans: needs.skills.length > 0 ? await skillMeans(ctx, user._id, needs.skills) : {},
    brightStars: needs.brightStars ? await brightStarsByDomain(ctx, user._id) : {},
    mirrorCompleted: needs.mirror && user.mirrorDay >= MIRROR_DAYS,
  };
}

/**
 * One user's reveal step at `now` (called by the daily rollover, convex/jobs.ts): first the
 * chapter advance (a chapter finished by a completion is already advanced; this catches a
 * book whose new version completes it), then every hidden quest of the current chapter
 * whose condition holds becomes a pending mission (missions.questKey = the template's key)
 * and a `quest_revealed` event. The narrative state is created by the first reveal. Returns
 * the number of quests revealed. Idempotent: a revealed key is never revealed again,
 * however long its condition stays true.
 */
export async function revealDueQuests(ctx: MutationCtx, userId: Id<"users">, now: number): Promise<number> {
  const user = await ctx.db.get("users", userId);
  if (user === null || user.deletionRequestedAt !== undefined) return 0;
  const existing = await narrativeState(ctx, userId);
  const current = existing === null ? null : await advanceChapterIfDone(ctx, existing, now);
  if (current?.storyCompletedAt !== undefined) return 0;
  const chapter = current?.chapter ?? 1;
  const revealed = new Set((current?.quests ?? []).map((quest) => quest.questKey));
  const hidden = hiddenQuests(QUEST_BOOK, chapter, revealed);
  if (hidden.length === 0) return 0;
  const snapshot = await loadQuestSnapshot(ctx, user, now, snapshotNeeds(hidden));
  const due = dueQuests(QUEST_BOOK, chapter, revealed, snapshot);
  if (due.length === 0) return 0;
  const state = current ?? (await createNarrativeState(ctx, userId, now));
  const reveals: QuestReveal[] = [];
  for (const template of due) {
    const mission = await createMission(
      ctx,
      userId,
      {
        title: template.title,
        description: template.description,
        durationMinutes: template.durationMinutes,
        essenceReward: template.essenceReward,
        attributeType: template.attributeType,
      },
      now,
      template.key,
    );
    reveals.push({ questKey: template.key, chapter: template.chapter, missionId: mission._id, revealedAt: now });
    await addStoryEvent(
      ctx,
      userId,
      {
        kind: "quest_revealed",
        chapter: template.chapter,
        questKey: template.key,
        missionId: mission._id,
        title: template.title,
        text: template.description,
      },
      now,
    );
  }
  await ctx.db.patch("narrativeStates", state._id, {
    quests: [...state.quests, ...reveals],
    bookVersion: QUEST_BOOK.version,
    updatedAt: now,
  });
  return reveals.length;
}
