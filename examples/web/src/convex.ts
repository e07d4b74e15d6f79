// The one place this client names the backend: the generated `api` of this repository and
// the view types of its public functions. In your own app, point these imports at your
// copy of convex/_generated (usually "../convex/_generated/api").
import type { FunctionReturnType } from "convex/server";
import { api } from "../../../convex/_generated/api";

export { api };
export type { Id } from "../../../convex/_generated/dataModel";
// The error union the server throws (type-only: nothing from convex/ is bundled but `api`).
export type { AppErrorData, ErrorCode } from "../../../convex/errors";

export type StarView = FunctionReturnType<typeof api.stars.constellation>["stars"][number];
export type MessageView = FunctionReturnType<typeof api.messages.list>["page"][number];
export type ConversationView = FunctionReturnType<typeof api.conversations.get>;
export type UserView = NonNullable<FunctionReturnType<typeof api.users.me>>;
