// Routing table only: handlers live in their resource's file.
import { httpRouter } from "convex/server";
import { clerkUsersWebhook } from "./users";

const http = httpRouter();

http.route({ path: "/clerk-users-webhook", method: "POST", handler: clerkUsersWebhook });

export default http;
