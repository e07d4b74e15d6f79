// Account deletion path (docs/privacy.md). The Clerk `user.deleted` event and
// privacy.requestDeletion both enter here.
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";

export async function requestAccountDeletion(ctx: MutationCtx, user: Doc<"users">, now: number): Promise<void> {
  if (user.deletionRequestedAt !== undefined) return; // already on its way
  await ctx.db.patch("users", user._id, { deletionRequestedAt: now });
}
