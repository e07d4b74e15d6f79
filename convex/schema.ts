import { rateLimitTables } from "convex-helpers/server/rateLimit";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  vConceptType,
  vConnectionType,
  vConversationPhase,
  vConversationStatus,
  vDomain,
  vDomainWeights,
  vEvidenceQuote,
  vExperimentStatus,
  vExtraction,
  vGrowthDimension,
  vGrowthEntityType,
  vGrowthProfile,
  vGrowthSource,
  vJourneyStatus,
  vLifeStateSource,
  vMessageRole,
  vMilestone,
  vMissionAttribute,
  vMissionStatus,
  vNorthStar,
  vPolarity,
  vSkillCategory,
  vSkillSource,
  vStarType,
  vTableCounts,
  vTier,
  vTokenUsage,
  vUsageLine,
  vUsageTotals,
  vUsagePurpose,
  vUserPhase,
} from "./validators";

export default defineSchema({
  // Written by the Clerk webhook and the sign-up race path (model/users.ts upsertFromClerk);
  // settings by users.updateSettings, phase by conversations and journeys, deletion by
  // model/privacy.ts. Deleted last by the account erasure job. Every call reads this row
  // (convex/functions.ts), so nothing fast-changing lives here: counters and job bookkeeping
  // are in the per-user state documents below (docs/architecture.md "The users row stays quiet").
  users: defineTable({
    clerkId: v.string(),
    email: v.string(),
    displayName: v.optional(v.string()),
    createdAt: v.number(),
    currentPhase: vUserPhase,
    mirrorDay: v.number(),
    /** Local date of the last mirrorDay advance (at most one a day, MECHANICS §8). */
    lastMirrorAdvanceDate: v.optional(v.string()),
    tier: vTier,
    subscriptionEndsAt: v.optional(v.number()),
    timezone: v.string(),
    dailyCapacityMinutes: v.number(),
    deletionRequestedAt: v.optional(v.number()),
    deletionJobId: v.optional(v.id("_scheduled_functions")),
    /** `updated_at` of the newest Clerk event applied (out-of-order deliveries are ignored). */
    clerkUpdatedAt: v.number(),
    // Deprecated, never written: moved to progressStates, growthStates and dailySchedules.
    // Read only as the fallback for a row not yet migrated; migrations:quietUsersRow copies
    // them out and clears them, after which a later change drops them from the schema.
    essence: v.optional(v.number()),
    streakDays: v.optional(v.number()),
    lastActiveDate: v.optional(v.string()),
    growthProfile: v.optional(vGrowthProfile),
    growthRebuildId: v.optional(v.number()),
    nextDailyAt: v.optional(v.number()),
    lastDailyDate: v.optional(v.string()),
    lifeStatesPrunedAt: v.optional(v.number()),
  })
    .index("by_clerk", ["clerkId"])
    .index("by_email", ["email"])
    .index("by_deletion_requested", ["deletionRequestedAt"]),

  // Per-user state documents: one row per user (index by_user, at most one row by
  // construction), created with the user (model/users.ts upsertFromClerk), deleted by account
  // erasure. Each is read only by the functions that show or use its numbers, so a write
  // re-runs only the live queries whose answer it can change.

  // The six-dimension growth profile (MECHANICS §4). Written by model/growth.ts: every growth
  // event and growth.rebuild.
  growthStates: defineTable({
    userId: v.id("users"),
    growthProfile: vGrowthProfile,
    /**
     * Set while growth.rebuild replays the ledger (model/growth.ts): appends then write only
     * the ledger, and the rebuild's last page folds them in, so nothing is counted twice.
     */
    growthRebuildId: v.optional(v.number()),
  }).index("by_user", ["userId"]),

  // Essence and streak (MECHANICS §5). Written by model/progress.ts on mission completion.
  progressStates: defineTable({
    userId: v.id("users"),
    essence: v.number(),
    streakDays: v.number(),
    lastActiveDate: v.optional(v.string()),
  }).index("by_user", ["userId"]),

  // When the user's daily jobs are due. Written only by model/schedule.ts: the hourly
  // rollover, the nightly LifeState prune and a time-zone change. No public function reads it.
  dailySchedules: defineTable({
    userId: v.id("users"),
    /** Next local midnight: when the daily per-user jobs (LifeState, velocity) are due. */
    nextDailyAt: v.number(),
    /** Local date of the last daily snapshot, so a job run twice on a day does nothing. */
    lastDailyDate: v.optional(v.string()),
    /** `now` of the last completed LifeState prune: the next night streams only what crossed a tier line since (model/retention.ts). */
    lifeStatesPrunedAt: v.optional(v.number()),
  })
    .index("by_user", ["userId"])
    .index("by_next_daily", ["nextDailyAt"]),

  // The usage ledger (docs/pipeline.md "Usage and budgets"): one row per (user, local date),
  // updated in place by model/usage.ts on every model call's settle and reserve. Deleted by
  // account erasure (the receipt keeps the totals). usage.mine and the budget read it.
  usageDays: defineTable({
    userId: v.id("users"),
    localDate: v.string(),
    /** Settled usage over the day's calls (failed calls that returned a completion included). */
    calls: v.number(),
    promptTokens: v.number(),
    completionTokens: v.number(),
    totalTokens: v.number(),
    microDollars: v.number(),
    /** Calls whose model the price table did not know (costed 0). */
    unpricedCalls: v.number(),
    /** Tokens held by calls in flight (usageReservations charged to this day). */
    reservedTokens: v.number(),
    /** Per (purpose, model); a handful of lines (USAGE_LINES_MAX bounds it). */
    lines: v.array(vUsageLine),
  })
    .index("by_user_date", ["userId", "localDate"])
    .index("by_date_cost", ["localDate", "microDollars"]),

  // One per model call in flight: the tokens it holds on its day (model/usage.ts
  // reserveModelCall). Deleted by settle, or released by the TTL job (usage.expireReservation,
  // RESERVATION_TTL_MS after the reserve) when the call's action died; and by erasure.
  usageReservations: defineTable({
    userId: v.id("users"),
    localDate: v.string(),
    purpose: vUsagePurpose,
    model: v.string(),
    tokens: v.number(),
    createdAt: v.number(),
    expiresAt: v.number(),
    /** The TTL job; settle cancels it. */
    expiryJobId: v.optional(v.id("_scheduled_functions")),
  }).index("by_user", ["userId", "createdAt"]),

  // Written only by model/stars.ts (create, reinforce, decay, drain) and stars.edit/dismiss.
  // Never deleted except by account erasure: dormant stars keep their history.
  stars: defineTable({
    userId: v.id("users"),
    label: v.string(),
    /** normalizeLabel(label): identity for dedupe and the dismissed-label memory. */
    normalizedLabel: v.string(),
    description: v.string(),
    domain: vDomain,
    polarity: vPolarity,
    conceptType: v.optional(vConceptType),
    type: vStarType,
    brightness: v.number(),
    variance: v.number(),
    theta: v.number(),
    radius: v.number(),
    extractedDay: v.number(),
    sourceMessageId: v.optional(v.id("messages")),
    evidence: v.array(vEvidenceQuote),
    reinforcementCount: v.number(),
    createdAt: v.number(),
    lastUpdatedAt: v.number(),
    lastReinforcedAt: v.number(),
    stabilizedAt: v.optional(v.number()),
    /** Set when the user rejects the star; extraction never recreates its label. */
    dismissedAt: v.optional(v.number()),
  })
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- named by the product's data model; pages a user's stars in creation order (export, erasure)
    .index("by_user", ["userId"])
    .index("by_user_domain", ["userId", "domain"])
    .index("by_user_type", ["userId", "type"])
    .index("by_user_label", ["userId", "normalizedLabel"])
    .index("by_user_brightness", ["userId", "brightness"]),

  // Written by connections.upsert (model/connections.ts) and the daily drain (lastDrainAt);
  // deleted by connections.remove and account erasure.
  connections: defineTable({
    userId: v.id("users"),
    /** For symmetric types (resonance, tension) starA < starB, so a pair has one row. */
    starA: v.id("stars"),
    starB: v.id("stars"),
    type: vConnectionType,
    strength: v.number(),
    evidence: v.array(vEvidenceQuote),
    createdAt: v.number(),
    updatedAt: v.number(),
    /** shadow_mirror only: when the drain was last applied (MECHANICS §1 shadow drain). */
    lastDrainAt: v.optional(v.number()),
  })
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- named by the product's data model; pages a user's connections in creation order (export, erasure)
    .index("by_user", ["userId"])
    .index("by_user_type", ["userId", "type"])
    .index("by_star", ["starA", "starB", "type"])
    .index("by_star_b", ["starB"]),

  // Written by conversations.* and the pipeline; status moved by the idle/retention jobs.
  conversations: defineTable({
    userId: v.id("users"),
    phase: vConversationPhase,
    /** Mirror conversations: the mirror day being worked on (1..7). */
    mirrorDay: v.optional(v.number()),
    status: vConversationStatus,
    title: v.optional(v.string()),
    summary: v.optional(v.string()),
    messageCount: v.number(),
    userMessageCount: v.number(),
    startedAt: v.number(),
    lastMessageAt: v.number(),
    completedAt: v.optional(v.number()),
    archivedAt: v.optional(v.number()),
  })
    .index("by_user", ["userId", "startedAt"])
    .index("by_user_phase", ["userId", "phase"])
    .index("by_status_last_message", ["status", "lastMessageAt"]),

  // User messages by messages.send; assistant messages by the apply-extraction mutation.
  // Deleted by conversation retention (archival) and account erasure.
  messages: defineTable({
    userId: v.id("users"),
    conversationId: v.id("conversations"),
    role: vMessageRole,
    content: v.string(),
    createdAt: v.number(),
    /** User messages: the pipeline's status for this message (pending | done | failed | skipped). */
    extraction: v.optional(vExtraction),
    /** Assistant messages: the user message they answer (idempotency key). */
    replyTo: v.optional(v.id("messages")),
    extractedStars: v.optional(v.array(v.id("stars"))),
    extractedConnections: v.optional(v.array(v.id("connections"))),
    /** Assistant messages: the call that produced it; user messages: the total over all attempts. */
    tokenUsage: v.optional(vTokenUsage),
  })
    .index("by_conversation", ["conversationId", "createdAt"])
    .index("by_user", ["userId", "createdAt"])
    .index("by_reply_to", ["replyTo"])
    // The user's turns in flight (pending) and waiting (queued), oldest first (model/turns.ts).
    .index("by_user_extraction_status", ["userId", "extraction.status", "createdAt"]),

  // Written by journeys.*; velocity/momentum by the daily job. Deleted by account erasure.
  journeys: defineTable({
    userId: v.id("users"),
    status: vJourneyStatus,
    northStar: vNorthStar,
    domainWeights: vDomainWeights,
    milestones: v.array(vMilestone),
    velocity: v.number(),
    momentum: v.number(),
    /** Local date of the last velocity update (the job is idempotent per date). */
    lastVelocityDate: v.optional(v.string()),
    /** Local date of the last experiment offer (at most one per journey per date). */
    lastOfferDate: v.optional(v.string()),
    createdAt: v.number(),
    plottedAt: v.optional(v.number()),
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
  })
    .index("by_user", ["userId", "createdAt"])
    .index("by_user_status", ["userId", "status"])
    .index("by_status", ["status"]),

  // Written by the experiment generator and experiments.*; expired by runAt or the sweep.
  experiments: defineTable({
    userId: v.id("users"),
    journeyId: v.id("journeys"),
    milestoneId: v.optional(v.string()),
    when: v.string(),
    will: v.string(),
    at: v.string(),
    rationale: v.optional(v.string()),
    starIds: v.array(v.id("stars")),
    /** As stored; the midnight job flips an open one to `expired` at `expiresAt`. */
    status: vExperimentStatus,
    offeredAt: v.number(),
    offeredDate: v.string(),
    expiresAt: v.number(),
    acceptedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
    skippedAt: v.optional(v.number()),
    expiredAt: v.optional(v.number()),
    reflection: v.optional(v.string()),
    expiryJobId: v.optional(v.id("_scheduled_functions")),
    tokenUsage: v.optional(vTokenUsage),
  })
    .index("by_user", ["userId", "offeredAt"])
    .index("by_user_status", ["userId", "status"])
    .index("by_journey_date", ["journeyId", "offeredDate"])
    .index("by_status_expires", ["status", "expiresAt"]),

  // Written by lifeStates.compute (daily job and on-demand); pruned by the retention job.
  lifeStates: defineTable({
    userId: v.id("users"),
    timestamp: v.number(),
    localDate: v.string(),
    source: vLifeStateSource,
    thrust: v.number(),
    alignment: v.number(),
    gravity: v.number(),
    mass: v.number(),
    escapeIndex: v.number(),
    /** z_t, 15 numbers: 5 domain brightnesses, 6 growth dimensions, then T, A, G, M (MECHANICS §7). */
    latent: v.array(v.number()),
  })
    .index("by_user_timestamp", ["userId", "timestamp"])
    .index("by_user_date", ["userId", "localDate", "timestamp"]),

  // Global taxonomy, seeded by skills.seed; never written by the model. Kept on erasure.
  skills: defineTable({
    name: v.string(),
    normalizedName: v.string(),
    category: vSkillCategory,
    domain: vDomain,
    description: v.string(),
  })
    .index("by_normalized_name", ["normalizedName"])
    .index("by_category", ["category"]),

  // Global transfer graph, seeded with skills. Kept on erasure.
  skillEdges: defineTable({
    fromSkillId: v.id("skills"),
    toSkillId: v.id("skills"),
    weight: v.number(),
  }).index("by_from", ["fromSkillId", "toSkillId"]),

  // Append-only evidence, written by model/skills.ts addEvidence. Deleted by erasure only.
  skillEvidence: defineTable({
    userId: v.id("users"),
    skillId: v.id("skills"),
    level: v.number(),
    confidence: v.number(),
    source: vSkillSource,
    sourceRef: v.optional(v.string()),
    notes: v.optional(v.string()),
    /** transfer evidence: the skill whose evidence produced this row. */
    transferFromSkillId: v.optional(v.id("skills")),
    createdAt: v.number(),
  }).index("by_user_skill", ["userId", "skillId", "createdAt"]),

  // One per (user, skill), updated with every evidence row. Deleted by erasure.
  skillBeliefs: defineTable({
    userId: v.id("users"),
    skillId: v.id("skills"),
    mean: v.number(),
    variance: v.number(),
    confidence: v.number(),
    /** As of lastEvidenceAt (queries cannot read the clock). */
    utilization: v.number(),
    evidenceCount: v.number(),
    lastEvidenceAt: v.number(),
  })
    .index("by_user_skill", ["userId", "skillId"])
    .index("by_user_mean", ["userId", "mean"]),

  // Written by missions.*. Deleted by erasure.
  missions: defineTable({
    userId: v.id("users"),
    title: v.string(),
    description: v.string(),
    durationMinutes: v.number(),
    essenceReward: v.number(),
    attributeType: vMissionAttribute,
    status: vMissionStatus,
    createdAt: v.number(),
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
    failedAt: v.optional(v.number()),
  })
    .index("by_user", ["userId", "createdAt"])
    .index("by_user_status", ["userId", "status", "createdAt"]),

  // One per (user, local date), written by mission completion. Deleted by erasure.
  dailyProgress: defineTable({
    userId: v.id("users"),
    localDate: v.string(),
    missionsCompleted: v.number(),
    minutesCompleted: v.number(),
    essenceEarned: v.number(),
    dciScore: v.number(),
    streakDays: v.number(),
  }).index("by_user_date", ["userId", "localDate"]),

  // Append-only ledger (MECHANICS §4), written by model/growth.ts record. Never updated;
  // deleted only by account erasure.
  growthEvents: defineTable({
    userId: v.id("users"),
    entityType: vGrowthEntityType,
    entityId: v.string(),
    dimKey: vGrowthDimension,
    delta: v.number(),
    source: vGrowthSource,
    domain: v.optional(vDomain),
    createdAt: v.number(),
  }).index("by_user_created", ["userId", "createdAt"]),

  // Aggregate per (user, entity, dimension), maintained with every growth event and
  // recomputable from the ledger by growth.rebuild. Deleted by erasure.
  growthProgress: defineTable({
    userId: v.id("users"),
    entityType: vGrowthEntityType,
    entityId: v.string(),
    dimKey: vGrowthDimension,
    score: v.number(),
    eventCount: v.number(),
    lastEventAt: v.number(),
    lastSource: vGrowthSource,
  }).index("by_user_entity", ["userId", "entityType", "entityId", "dimKey"]),

  // svix ids already processed by the Clerk webhook (replays answer 200 and change nothing).
  // Written by the webhook; deleted 30 days after processing by users.pruneWebhookEvents (daily cron).
  webhookEvents: defineTable({
    svixId: v.string(),
    eventType: v.string(),
    processedAt: v.number(),
  })
    .index("by_svix_id", ["svixId"])
    .index("by_processed_at", ["processedAt"]),

  // Anonymous proof that an account was erased: no personal data, only a hash of the
  // Clerk id, counts and the usage ledger's lifetime totals (what the account cost). Written
  // by the erasure job; never deleted.
  deletionReceipts: defineTable({
    clerkIdHash: v.string(),
    requestedAt: v.number(),
    completedAt: v.number(),
    counts: vTableCounts,
    usage: v.optional(vUsageTotals),
  }).index("by_clerk_id_hash", ["clerkIdHash"]),

  // convex-helpers' transactional rate limiter (messages per hour, recompute per minute).
  ...rateLimitTables,
});
