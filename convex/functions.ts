// The access layer: every public function is built from these, so none can forget to
// resolve the caller from `ctx.auth`. App code imports builders from here, not from
// _generated/server (the lint rule in eslint.config.js enforces it for public builders).
import { customAction, customCtx, customMutation, customQuery } from "convex-helpers/server/customFunctions";
import type { Doc } from "./_generated/dataModel";
import { action, mutation, query } from "./_generated/server";
import { appError } from "./errors";
import { internal } from "./_generated/api";
import { assertNotDeleting, ensureCurrentUser, getCurrentUser, getIdentityOrThrow } from "./model/users";

async function requireProvisionedUser(ctx: Parameters<typeof getCurrentUser>[0]): Promise<Doc<"users">> {
  const user = await getCurrentUser(ctx);
  if (user === null) {
    throw appError("ACCOUNT_NOT_READY", "Your account is being created; call users.ensure first");
  }
  return user;
}

/** Query for a signed-in, provisioned user whose account is not being deleted. */
export const userQuery = customQuery(
  query,
  customCtx(async (ctx) => {
    const user = await requireProvisionedUser(ctx);
    assertNotDeleting(user);
    return { user };
  }),
);

/** Query that also serves accounts pending deletion (users.me, privacy.deletionStatus). */
export const accountQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ user: await requireProvisionedUser(ctx) })),
);

/** Mutation for a signed-in user; creates the row from the token if the webhook is late. */
export const userMutation = customMutation(
  mutation,
  customCtx(async (ctx) => {
    const user = await ensureCurrentUser(ctx);
    assertNotDeleting(user);
    return { user };
  }),
);

/** Mutation that also serves accounts pending deletion (the cancel path). */
export const accountMutation = customMutation(
  mutation,
  customCtx(async (ctx) => ({ user: await ensureCurrentUser(ctx) })),
);

/** Action for a signed-in, provisioned user; actions cannot write, so they never provision. */
export const userAction = customAction(
  action,
  customCtx(async (ctx): Promise<{ user: Doc<"users"> }> => {
    const identity = await getIdentityOrThrow(ctx);
    const user: Doc<"users"> | null = await ctx.runQuery(internal.users.byClerkId, {
      clerkId: identity.subject,
    });
    if (user === null) {
      throw appError("ACCOUNT_NOT_READY", "Your account is being created; call users.ensure first");
    }
    assertNotDeleting(user);
    return { user };
  }),
);
