/// <reference types="vite/client" />
// Shared test harness: one in-memory backend per test, under Convex's real transaction
// limits, with helpers so each test reads as a short scenario.
import { convexTest } from "convex-test";
import { Webhook } from "svix";
import { expect } from "vitest";
import schema from "../convex/schema";
import type { Id } from "../convex/_generated/dataModel";

// The glob includes _generated: convex-test finds the functions root from it.
export const modules = import.meta.glob("../convex/**/*.*s");

export const WEBHOOK_SECRET = `whsec_${btoa("lodestar-test-signing-secret-0001")}`;

export function newBackend() {
  return convexTest({ schema, modules, transactionLimits: true });
}
export type Backend = ReturnType<typeof newBackend>;

export type TestUser = {
  clerkId: string;
  email: string;
  userId: Id<"users">;
  as: ReturnType<Backend["withIdentity"]>;
};

let clerkCounter = 0;
export function freshClerkId(): string {
  clerkCounter += 1;
  return `user_test${Date.now().toString(36)}${clerkCounter}`;
}

/** A signed-in client for a Clerk id (the JWT `subject`). */
export function signedIn(t: Backend, clerkId: string, email = `${clerkId}@example.com`) {
  return t.withIdentity({ subject: clerkId, email, name: "Test User", issuer: "https://clerk.test" });
}

/** A provisioned user: signs in and calls users.ensure (the sign-up race path). */
export async function createUser(
  t: Backend,
  options: { clerkId?: string; timezone?: string } = {},
): Promise<TestUser> {
  const { api } = await import("../convex/_generated/api");
  const clerkId = options.clerkId ?? freshClerkId();
  const email = `${clerkId}@example.com`;
  const as = signedIn(t, clerkId, email);
  const view = await as.mutation(api.users.ensure, {});
  if (options.timezone) await as.mutation(api.users.updateSettings, { timezone: options.timezone });
  return { clerkId, email, userId: view._id, as };
}

// ---------------------------------------------------------------------------------------
// Clerk webhooks, signed for real with the svix library.

export type ClerkUserPayload = {
  id: string;
  email?: string;
  first_name?: string | null;
  last_name?: string | null;
  updated_at?: number;
};

export function clerkUserEvent(type: "user.created" | "user.updated", user: ClerkUserPayload) {
  const emailId = `idn_${user.id}`;
  return {
    type,
    object: "event",
    timestamp: user.updated_at ?? Date.now(),
    data: {
      id: user.id,
      object: "user",
      email_addresses: user.email ? [{ id: emailId, email_address: user.email }] : [],
      primary_email_address_id: user.email ? emailId : null,
      first_name: user.first_name ?? null,
      last_name: user.last_name ?? null,
      created_at: 1_700_000_000_000,
      updated_at: user.updated_at ?? Date.now(),
    },
  };
}

export function clerkDeletedEvent(clerkId: string) {
  return { type: "user.deleted", object: "event", timestamp: Date.now(), data: { id: clerkId, object: "user", deleted: true } };
}

let svixCounter = 0;
export function newSvixId(): string {
  svixCounter += 1;
  return `msg_${Date.now().toString(36)}_${svixCounter}`;
}

/** svix headers for a body, signed with `secret` at `timestamp`. */
export function svixHeaders(body: string, options: { secret?: string; svixId?: string; timestamp?: Date } = {}) {
  const svixId = options.svixId ?? newSvixId();
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? WEBHOOK_SECRET).sign(svixId, timestamp, body);
  return {
    "svix-id": svixId,
    "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "svix-signature": signature,
    "content-type": "application/json",
  };
}

/** POSTs a Clerk event to the webhook, signed for real. */
export async function postClerkEvent(
  t: Backend,
  event: unknown,
  options: { secret?: string; svixId?: string; timestamp?: Date } = {},
) {
  const body = JSON.stringify(event);
  return await t.fetch("/clerk-users-webhook", { method: "POST", headers: svixHeaders(body, options), body });
}

/** Runs `fn` with CLERK_WEBHOOK_SIGNING_SECRET set (restored afterwards). */
export async function withWebhookSecret<T>(fn: () => Promise<T>, secret: string | undefined = WEBHOOK_SECRET) {
  const previous = process.env.CLERK_WEBHOOK_SIGNING_SECRET;
  if (secret === undefined) delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
  else process.env.CLERK_WEBHOOK_SIGNING_SECRET = secret;
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    else process.env.CLERK_WEBHOOK_SIGNING_SECRET = previous;
  }
}

/** Asserts that a promise rejects with a ConvexError carrying `code`. */
export async function expectConvexError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ConvexError ${code}, but it resolved`).toBeDefined();
  const data = (error as { data?: unknown }).data;
  const parsed = typeof data === "string" ? (JSON.parse(data) as { code?: string }) : (data as { code?: string });
  expect(parsed?.code, `expected code ${code}, got ${JSON.stringify(data)}`).toBe(code);
  return parsed as { code: string; message: string; retryAfterMs?: number };
}

/** Counts documents of a user in a table (test-only scan, inside t.run). */
export async function countRows(t: Backend, table: string): Promise<number> {
  return await t.run(async (ctx) => (await ctx.db.query(table as "users").collect()).length);
}
