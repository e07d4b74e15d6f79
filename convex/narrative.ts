// The caller's story (MECHANICS §10): scenario, chapter, the quests revealed so far with
// their missions' status (narrative.mine), and the story events, newest first
// (narrative.events, paginated: the story grows without bound). Reveals happen in the
// daily rollover; completing a quest's mission is missions.complete.
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { QUEST_BOOK, chapterInfo, questTemplate } from "../src/quests/templates";
import type { Doc } from "./_generated/dataModel";
import { userQuery } from "./functions";
import { initialScenario, narrativeState } from "./model/narrative";
import { vMissionStatus, vScenario, vStoryEventKind } from "./validators";

const vQuestView = v.object({
  questKey: v.string(),
  chapter: v.number(),
  title: v.string(),
  description: v.string(),
  missionId: v.id("missions"),
  /** The mission's status (pending → active → completed | failed, MECHANICS §5). */
  status: vMissionStatus,
  revealedAt: v.number(),
  completedAt: v.optional(v.number()),
});

const vNarrativeView = v.object({
  /** False until the first quest is revealed; until then the rest shows where the story starts. */
  started: v.boolean(),
  scenario: vScenario,
  chapter: v.number(),
  chapterTitle: v.string(),
  chapterOpening: v.string(),
  chapters: v.number(),
  bookVersion: v.string(),
  storyCompletedAt: v.optional(v.number()),
  /** Revealed quests, oldest first; hidden quests are not listed. */
  quests: v.array(vQuestView),
});

const vStoryEventView = v.object({
  _id: v.id("storyEvents"),
  kind: vStoryEventKind,
  chapter: v.number(),
  questKey: v.optional(v.string()),
  missionId: v.optional(v.id("missions")),
  title: v.string(),
  text: v.string(),
  createdAt: v.number(),
});

function toStoryEventView(event: Doc<"storyEvents">) {
  return {
    _id: event._id,
    kind: event.kind,
    chapter: event.chapter,
    questKey: event.questKey,
    missionId: event.missionId,
    title: event.title,
    text: event.text,
    createdAt: event.createdAt,
  };
}

export const mine = userQuery({
  args: {},
  returns: vNarrativeView,
  handler: async (ctx) => {
    const state = await narrativeState(ctx, ctx.user._id);
    const chapter = state?.chapter ?? 1;
    const info = chapterInfo(QUEST_BOOK, chapter);
    // One read per revealed quest: bounded by the book's size.
    const quests = await Promise.all(
      (state?.quests ?? []).map(async (quest) => {
        const mission = await ctx.db.get("missions", quest.missionId);
        if (mission === null) return null; // impossible outside erasure; shown as gone
        const template = questTemplate(QUEST_BOOK, quest.questKey);
        return {
          questKey: quest.questKey,
          chapter: quest.chapter,
          title: template?.title ?? mission.title,
          description: template?.description ?? mission.description,
          missionId: quest.missionId,
          status: mission.status,
          revealedAt: quest.revealedAt,
          completedAt: mission.completedAt,
        };
      }),
    );
    return {
      started: state !== null,
      scenario: state?.scenario ?? (await initialScenario(ctx, ctx.user._id)),
      chapter,
      chapterTitle: info?.title ?? `Chapter ${chapter}`,
      chapterOpening: info?.opening ?? "",
      chapters: QUEST_BOOK.chapters.length,
      bookVersion: state?.bookVersion ?? QUEST_BOOK.version,
      storyCompletedAt: state?.storyCompletedAt,
      quests: quests.filter((quest) => quest !== null),
    };
  },
});

/** The caller's story events, newest first. */
export const events = userQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vStoryEventView),
  handler: async (ctx, { paginationOpts }) => {
    const page = await ctx.db
      .query("storyEvents")
      .withIndex("by_user", (q) => q.eq("userId", ctx.user._id))
      .order("desc")
      .paginate(paginationOpts);
    return { ...page, page: page.page.map(toStoryEventView) };
  },
});
