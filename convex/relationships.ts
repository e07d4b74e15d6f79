// Relationships with characters (MECHANICS §10): how well each character knows the caller.
// Written only by conversation completion (model/relationships.ts).
import { v } from "convex/values";
import { MAX_RELATIONSHIP_LEVEL, interactionsForLevel } from "../src/mechanics/companions";
import { userQuery } from "./functions";
import { characterProfile } from "./model/characters";
import { listRelationships, standingOf } from "./model/relationships";
import schema from "./schema";
import { vRelationshipTier } from "./validators";

/**
 * One relationship as a client sees it: the row's counts (the level and tier recomputed from
 * the count, standingOf) plus the character's key and name and the next level's threshold.
 */
const vRelationshipView = schema.tables.relationships.validator
  .pick("interactions", "level", "lastInteractionDate")
  .extend({
    character: v.string(),
    name: v.string(),
    tier: vRelationshipTier,
    /** Interactions that reach the next level; null at level 10. */
    nextLevelAt: v.union(v.number(), v.null()),
  });

/** The caller's relationships, one per character they completed a counted conversation with. */
export const mine = userQuery({
  args: {},
  returns: v.array(vRelationshipView),
  handler: async (ctx) => {
    const rows = await listRelationships(ctx, ctx.user._id);
    return await Promise.all(
      rows.map(async (row) => {
        const standing = standingOf(row);
        return {
          character: row.characterKey,
          name: (await characterProfile(ctx, row.characterKey)).name,
          ...standing,
          nextLevelAt: standing.level >= MAX_RELATIONSHIP_LEVEL ? null : interactionsForLevel(standing.level + 1),
          lastInteractionDate: row.lastInteractionDate,
        };
      }),
    );
  },
});
