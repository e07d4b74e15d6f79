// The caller's story (MECHANICS §10): scenario, chapter, the quests revealed so far with
// their missions' status (narrative.mine), and the story events, newest first
// (narrative.events, paginated: the story grows without bound). Reveals happen in the
// daily rollover; completing a quest's mission is missions.complete.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { QUEST_BOOK, chapterInfo, questTemplate } from "../src/quests/templates";
import { userQuery } from "./functions";
import { initialScenario, narrativeState } from "./model/narrative";
import schema from "./schema";
import { mapperOf, vQuestReveal } from "./validators";

/**
 * One revealed quest: the reveal (narrativeStates.quests) with its mission's title and
 * description (the template's when the book still has it) and its status, pending → active
 * → completed | failed (MECHANICS §5).
 */
const vQuestView = vQuestReveal.extend(
  schema.tables.missions.validator.pick("title", "description", "status", "completedAt").fields,
);

/**
 * The caller's story: the narrative state's own fields, plus where the chapter stands in the
 * book. Before the first reveal there is no state; the view then shows where the story starts.
 */
const vNarrativeView = schema.tables.narrativeStates.validator
  .pick("scenario", "chapter", "bookVersion", "storyCompletedAt")
  .extend({
    /** False until the first quest is revealed. */
    started: v.boolean(),
    chapterTitle: v.string(),
    chapterOpening: v.string(),
    chapters: v.number(),
    /** Revealed quests, oldest first; hidden quests are not listed. */
    quests: v.array(vQuestView),
  });

/** A story event as a client sees it (the document without its owner). */
const vStoryEventView = doc(schema, "storyEvents").omit("_creationTime", "userId");
const toStoryEventView = mapperOf(vStoryEventView);

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
          ...quest,
          title: template?.title ?? mission.title,
          description: template?.description ?? mission.description,
          status: mission.status,
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
