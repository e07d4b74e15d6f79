/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as characters from "../characters.js";
import type * as checkins from "../checkins.js";
import type * as connections from "../connections.js";
import type * as consistency from "../consistency.js";
import type * as conversations from "../conversations.js";
import type * as crons from "../crons.js";
import type * as decay from "../decay.js";
import type * as errors from "../errors.js";
import type * as experiments from "../experiments.js";
import type * as extraction from "../extraction.js";
import type * as functions from "../functions.js";
import type * as growth from "../growth.js";
import type * as http from "../http.js";
import type * as jobs from "../jobs.js";
import type * as journeys from "../journeys.js";
import type * as lifeStates from "../lifeStates.js";
import type * as memory from "../memory.js";
import type * as messages from "../messages.js";
import type * as migrations from "../migrations.js";
import type * as missions from "../missions.js";
import type * as model_attempts from "../model/attempts.js";
import type * as model_batching from "../model/batching.js";
import type * as model_characters from "../model/characters.js";
import type * as model_checkins from "../model/checkins.js";
import type * as model_clientInput from "../model/clientInput.js";
import type * as model_connections from "../model/connections.js";
import type * as model_consistency from "../model/consistency.js";
import type * as model_conversations from "../model/conversations.js";
import type * as model_experiments from "../model/experiments.js";
import type * as model_extraction from "../model/extraction.js";
import type * as model_growth from "../model/growth.js";
import type * as model_journeys from "../model/journeys.js";
import type * as model_lifeStates from "../model/lifeStates.js";
import type * as model_memories from "../model/memories.js";
import type * as model_migrations from "../model/migrations.js";
import type * as model_missions from "../model/missions.js";
import type * as model_modelSettings from "../model/modelSettings.js";
import type * as model_narrative from "../model/narrative.js";
import type * as model_privacy from "../model/privacy.js";
import type * as model_progress from "../model/progress.js";
import type * as model_quests from "../model/quests.js";
import type * as model_recall from "../model/recall.js";
import type * as model_relationships from "../model/relationships.js";
import type * as model_reports from "../model/reports.js";
import type * as model_retention from "../model/retention.js";
import type * as model_schedule from "../model/schedule.js";
import type * as model_skills from "../model/skills.js";
import type * as model_stars from "../model/stars.js";
import type * as model_sweeper from "../model/sweeper.js";
import type * as model_turnContext from "../model/turnContext.js";
import type * as model_turnMemory from "../model/turnMemory.js";
import type * as model_turns from "../model/turns.js";
import type * as model_usage from "../model/usage.js";
import type * as model_userTables from "../model/userTables.js";
import type * as model_users from "../model/users.js";
import type * as narrative from "../narrative.js";
import type * as privacy from "../privacy.js";
import type * as progress from "../progress.js";
import type * as rateLimits from "../rateLimits.js";
import type * as relationships from "../relationships.js";
import type * as reports from "../reports.js";
import type * as skills from "../skills.js";
import type * as stars from "../stars.js";
import type * as summaries from "../summaries.js";
import type * as sweeper from "../sweeper.js";
import type * as usage from "../usage.js";
import type * as users from "../users.js";
import type * as validators from "../validators.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  characters: typeof characters;
  checkins: typeof checkins;
  connections: typeof connections;
  consistency: typeof consistency;
  conversations: typeof conversations;
  crons: typeof crons;
  decay: typeof decay;
  errors: typeof errors;
  experiments: typeof experiments;
  extraction: typeof extraction;
  functions: typeof functions;
  growth: typeof growth;
  http: typeof http;
  jobs: typeof jobs;
  journeys: typeof journeys;
  lifeStates: typeof lifeStates;
  memory: typeof memory;
  messages: typeof messages;
  migrations: typeof migrations;
  missions: typeof missions;
  "model/attempts": typeof model_attempts;
  "model/batching": typeof model_batching;
  "model/characters": typeof model_characters;
  "model/checkins": typeof model_checkins;
  "model/clientInput": typeof model_clientInput;
  "model/connections": typeof model_connections;
  "model/consistency": typeof model_consistency;
  "model/conversations": typeof model_conversations;
  "model/experiments": typeof model_experiments;
  "model/extraction": typeof model_extraction;
  "model/growth": typeof model_growth;
  "model/journeys": typeof model_journeys;
  "model/lifeStates": typeof model_lifeStates;
  "model/memories": typeof model_memories;
  "model/migrations": typeof model_migrations;
  "model/missions": typeof model_missions;
  "model/modelSettings": typeof model_modelSettings;
  "model/narrative": typeof model_narrative;
  "model/privacy": typeof model_privacy;
  "model/progress": typeof model_progress;
  "model/quests": typeof model_quests;
  "model/recall": typeof model_recall;
  "model/relationships": typeof model_relationships;
  "model/reports": typeof model_reports;
  "model/retention": typeof model_retention;
  "model/schedule": typeof model_schedule;
  "model/skills": typeof model_skills;
  "model/stars": typeof model_stars;
  "model/sweeper": typeof model_sweeper;
  "model/turnContext": typeof model_turnContext;
  "model/turnMemory": typeof model_turnMemory;
  "model/turns": typeof model_turns;
  "model/usage": typeof model_usage;
  "model/userTables": typeof model_userTables;
  "model/users": typeof model_users;
  narrative: typeof narrative;
  privacy: typeof privacy;
  progress: typeof progress;
  rateLimits: typeof rateLimits;
  relationships: typeof relationships;
  reports: typeof reports;
  skills: typeof skills;
  stars: typeof stars;
  summaries: typeof summaries;
  sweeper: typeof sweeper;
  usage: typeof usage;
  users: typeof users;
  validators: typeof validators;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
