// A user's narrative (MECHANICS §10): the one narrativeStates row, the append-only story
// events, and the chapter advance. The only writer of both tables. Reveals (which create
// missions) are in ./quests.ts; this module never imports missions, so mission completion
// can call in here without a cycle.
import type { Scenario, StoryEventKind } from "../../src/domain";
import { DEFAULT_CHARACTER } from "../../src/llm/characters";
import { chapterComplete, nextChapter } from "../../src/quests/conditions";
import { QUEST_BOOK, chapterInfo, questTemplate } from "../../src/quests/templates";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { characterProfile } from "./characters";

export async function narrativeState(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"narrativeStates"> | null> {
  return await ctx.db
    .query("narrativeStates")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .unique();
}

/**
 * The scenario a new story is told in: that of the character of the user's latest
 * conversation (TARS's `sci-fi` for a user who has not talked yet). Fixed once the state exists.
 */
export async function initialScenario(ctx: QueryCtx, userId: Id<"users">): Promise<Scenario> {
  const latest = await ctx.db
    .query("conversations")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .order("desc")
    .first();
  // No conversation yet: TARS's scenario, without reading the characters table.
  if (latest === null) return DEFAULT_CHARACTER.scenario;
  return (await characterProfile(ctx, latest.characterKey)).scenario;
}

export type StoryEventInput = {
  kind: StoryEventKind;
  chapter: number;
  questKey?: string;
  missionId?: Id<"missions">;
  title: string;
  text: string;
};

export async function addStoryEvent(
  ctx: MutationCtx,
  userId: Id<"users">,
  event: StoryEventInput,
  now: number,
): Promise<void> {
  await ctx.db.insert("storyEvents", { userId, ...event, createdAt: now });
}

/**
 * A new narrative state at chapter 1. Created by the first reveal (model/quests.ts), so a
 * user with nothing revealed yet costs no write; narrative.mine shows chapter 1 meanwhile.
 */
export async function createNarrativeState(
  ctx: MutationCtx,
  userId: Id<"users">,
  now: number,
): Promise<Doc<"narrativeStates">> {
  const fields = {
    userId,
    scenario: await initialScenario(ctx, userId),
    chapter: 1,
    bookVersion: QUEST_BOOK.version,
    quests: [],
    createdAt: now,
    updatedAt: now,
  };
  const stateId = await ctx.db.insert("narrativeStates", fields);
  return { _id: stateId, _creationTime: now, ...fields };
}

/** Keys of the revealed quests of `chapter` whose mission is completed (reads ≤ the chapter's quests). */
async function completedKeys(ctx: QueryCtx, state: Doc<"narrativeStates">, chapter: number): Promise<Set<string>> {
  const revealed = state.quests.filter((quest) => quest.chapter === chapter);
  const missions = await Promise.all(revealed.map((quest) => ctx.db.get("missions", quest.missionId)));
  return new Set(revealed.filter((_, i) => missions[i]?.status === "completed").map((quest) => quest.questKey));
}

/**
 * Moves the story on when every quest of the current chapter was revealed and its mission
 * completed: to the next chapter (a `chapter_advanced` event), or, after the last one, to
 * the end (`storyCompletedAt` and a `story_completed` event). One step per call: the new
 * chapter's quests are hidden, so it cannot be complete yet. Returns the state after.
 */
export async function advanceChapterIfDone(
  ctx: MutationCtx,
  state: Doc<"narrativeStates">,
  now: number,
): Promise<Doc<"narrativeStates">> {
  if (state.storyCompletedAt !== undefined) return state;
  if (!chapterComplete(QUEST_BOOK, state.chapter, await completedKeys(ctx, state, state.chapter))) return state;
  const next = nextChapter(QUEST_BOOK, state.chapter);
  if (next === null) {
    const patch = { storyCompletedAt: now, updatedAt: now, bookVersion: QUEST_BOOK.version };
    await ctx.db.patch("narrativeStates", state._id, patch);
    await addStoryEvent(
      ctx,
      state.userId,
      { kind: "story_completed", chapter: state.chapter, title: "The story is complete", text: "Every quest of every chapter is done." },
      now,
    );
    return { ...state, ...patch };
  }
  const patch = { chapter: next, updatedAt: now, bookVersion: QUEST_BOOK.version };
  await ctx.db.patch("narrativeStates", state._id, patch);
  const info = chapterInfo(QUEST_BOOK, next);
  await addStoryEvent(
    ctx,
    state.userId,
    { kind: "chapter_advanced", chapter: next, title: info?.title ?? `Chapter ${next}`, text: info?.opening ?? "" },
    now,
  );
  return { ...state, ...patch };
}

/**
 * Mission completion of a quest's mission (model/missions.ts calls this after booking the
 * ordinary §5 completion): a `quest_completed` event, then the chapter advance if it was the
 * chapter's last open quest.
 */
export async function onQuestMissionCompleted(ctx: MutationCtx, mission: Doc<"missions">, now: number): Promise<void> {
  if (mission.questKey === undefined) return;
  const state = await narrativeState(ctx, mission.userId);
  const reveal = state?.quests.find((quest) => quest.missionId === mission._id);
  if (state === null || reveal === undefined) return; // not a mission this story revealed
  const template = questTemplate(QUEST_BOOK, mission.questKey);
  await addStoryEvent(
    ctx,
    mission.userId,
    {
      kind: "quest_completed",
      chapter: reveal.chapter,
      questKey: mission.questKey,
      missionId: mission._id,
      title: template?.title ?? mission.title,
      text: `Quest complete: ${template?.title ?? mission.title}.`,
    },
    now,
  );
  await advanceChapterIfDone(ctx, state, now);
}
