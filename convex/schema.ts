import { rateLimitTables } from "convex-helpers/server/rateLimit";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  vConceptType,
  vConnectionType,
  vConversationPhase,
  vConversationStatus,
  vDomain,
  vEmotionFields,
  vEnergyFields,
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
  vMemoryKind,
  vMessageRole,
  vReplyStatus,
  vAttemptKind,
  vMilestone,
  vMissionAttribute,
  vMissionStatus,
  vNarrativeStatus,
  vNorthStar,
  vPolarity,
  vStarState,
  vQuestReveal,
  vScenario,
  vReportProgress,
  vReportSeries,
  vReportStats,
  vReportStatus,
  vReportType,
  vSkillCategory,
  vSkillSource,
  vStarType,
  vStoryEventKind,
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

  // When the user's per-date work is due (the day-reset rule, docs/mechanics.md "Day resets
  // and time-zone changes"). Written only by model/schedule.ts: the hourly rollover, the
  // nightly LifeState prune and a time-zone change. No public function reads it.
  dailySchedules: defineTable({
    userId: v.id("users"),
    /** The next day-reset: the first instant whose local date (current zone) is after lastResetDate. */
    nextDailyAt: v.number(),
    /** Local date of the last day-reset: a date at or before it is never reset again. Absent before the first. */
    lastResetDate: v.optional(v.string()),
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

  // Written only by model/stars.ts (create, reinforce, decay, drain) and stars.edit/dismiss;
  // `state` also by the backfill in migrations.ts. Never deleted except by account erasure:
  // dormant stars keep their history.
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
    /**
     * starState(type, dismissedAt): live, dormant or dismissed, written with every change of
     * either (model/stars.ts). Optional only until migrations.backfillLiveness has run on a
     * deployment (docs/architecture.md "The live set"); every writer sets it.
     */
    state: v.optional(vStarState),
  })
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- named by the product's data model; pages a user's stars in creation order (export, erasure)
    .index("by_user", ["userId"])
    .index("by_user_domain", ["userId", "domain"])
    .index("by_user_type", ["userId", "type"])
    .index("by_user_label", ["userId", "normalizedLabel"])
    // The live set: the brightest live stars (prompts) and one state's stars by type (the
    // constellation's dormant history, LifeState's live stars).
    .index("by_user_state_brightness", ["userId", "state", "brightness"])
    .index("by_user_state_type", ["userId", "state", "type"]),

  // Written by connections.upsert (model/connections.ts), the daily drain (lastDrainAt) and,
  // for aState/bState, every change of an end's state (model/connections.ts syncConnectionEnds)
  // and the backfill in migrations.ts; deleted by connections.remove and account erasure.
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
    /**
     * The state of starA and of starB (starState), kept in step with the stars. The connection
     * is live when both are "live". Optional only until migrations.backfillLiveness has run.
     */
    aState: v.optional(vStarState),
    bState: v.optional(vStarState),
  })
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- named by the product's data model; pages a user's connections in creation order (export, erasure)
    .index("by_user", ["userId"])
    // The live set: ("live", "live") is every live connection, by type; other pairs are history.
    .index("by_user_states_type", ["userId", "aState", "bState", "type"])
    // Dedupe of (pair, type); with starA alone, every connection a star starts.
    .index("by_star", ["starA", "starB", "type"])
    // One star's connections by the state of the star at the other end (its live edges).
    .index("by_star_a_partner", ["starA", "bState", "type"])
    .index("by_star_b_partner", ["starB", "aState", "type"]),

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
    /** The character who answers (characters.key); absent on rows from before §10 = TARS. */
    characterKey: v.optional(v.string()),
  })
    .index("by_user", ["userId", "startedAt"])
    .index("by_user_phase", ["userId", "phase"])
    // A character's earlier completed conversations, the tier's memories (model/relationships.ts).
    .index("by_user_character_status", ["userId", "characterKey", "status", "startedAt"])
    .index("by_status_last_message", ["status", "lastMessageAt"])
    // Reports count the conversations completed in their window (model/reports.ts).
    .index("by_user_completed", ["userId", "completedAt"]),

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
    /**
     * Assistant messages: `streaming` while an attempt writes it (content = the text so far),
     * `final` once applied; absent on replies stored before streaming (final).
     */
    replyStatus: v.optional(vReplyStatus),
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

  // Semantic memory (docs/pipeline.md "Memory"). Written only by model/memories.ts: a user
  // message when it is stored (in chunks), a star when created or edited (kind
  // dismissed_star once dismissed), a conversation's summary, an experiment's reflection.
  // Deleted with their message by conversation archival, and by account erasure.
  memories: defineTable({
    userId: v.id("users"),
    kind: vMemoryKind,
    /** The message, star, conversation or experiment remembered (its id as a string). */
    sourceId: v.string(),
    /** Position of this chunk in a long message (0 for everything else). */
    chunk: v.number(),
    text: v.string(),
    /** When the source was said or made (a message's createdAt), not when this row was written. */
    createdAt: v.number(),
    /** 0..1 by kind (src/memory.ts MEMORY_IMPORTANCE): breaks ties between equally relevant memories. */
    importance: v.number(),
    /** Until the embedding is stored: pending (the turn, a retry or the sweep embeds it), then embedded. */
    vectorStatus: v.union(v.literal("pending"), v.literal("embedded")),
    /** Failed embedding attempts so far (the sweep retries until it lands). */
    embedAttempts: v.number(),
    /** Message memories: their conversation, so archival deletes them by one index range. */
    conversationId: v.optional(v.id("conversations")),
    /** The stored embedding (memoryVectors), once embedded: a vector hit finds its memory by index. */
    vectorId: v.optional(v.id("memoryVectors")),
  })
    .index("by_user", ["userId", "createdAt"])
    .index("by_user_source", ["userId", "sourceId", "chunk"])
    .index("by_vector_status", ["vectorStatus", "createdAt"])
    .index("by_vector", ["vectorId"])
    .index("by_conversation", ["conversationId", "createdAt"])
    // Full-text search over the same text, per user and kind (model/recall.ts).
    .searchIndex("search_text", { searchField: "text", filterFields: ["userId", "kind"] }),

  // The embedding of one memory, apart from its text so everyday reads of memories stay
  // small (Convex's advice for vectors). Written with the memory's status by
  // model/memories.ts storeVectors; deleted with its memory and by account erasure.
  memoryVectors: defineTable({
    userId: v.id("users"),
    memoryId: v.id("memories"),
    kind: vMemoryKind,
    /**
     * `${userId}:${kind}`: a vector search filter is one `or` of equalities, so "this user's
     * memories of these kinds" needs one field holding both.
     */
    userKind: v.string(),
    embedding: v.array(v.float64()),
  })
    .index("by_user", ["userId"])
    .index("by_memory", ["memoryId"])
    // 1536 = EMBEDDING_DIMENSIONS (src/llm/settings.ts); a model with another length changes both.
    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 1536, filterFields: ["userKind"] }),

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
    /** Daily snapshots only: consistency (MECHANICS §9) of the local date the rollover closed. */
    consistency: v.optional(v.number()),
    /** The closed date `consistency` belongs to (the day before this snapshot's localDate). */
    consistencyDate: v.optional(v.string()),
  })
    .index("by_user_timestamp", ["userId", "timestamp"])
    .index("by_user_date", ["userId", "localDate", "timestamp"])
    .index("by_user_consistency_date", ["userId", "consistencyDate"]),

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
    /** A quest's mission: the template it was revealed from (src/quests/templates.ts). */
    questKey: v.optional(v.string()),
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

  // Check-ins (MECHANICS §9). Written by checkins.logEmotion/logEnergy and, for emotions
  // the model read in a message (source "inferred"), by the extraction's apply step; deleted
  // by checkins.remove and account erasure.
  checkins: defineTable(
    v.union(
      v.object({
        userId: v.id("users"),
        kind: v.literal("emotion"),
        /** The local date of createdAt in the user's zone at the time. */
        localDate: v.string(),
        createdAt: v.number(),
        ...vEmotionFields,
      }),
      v.object({
        userId: v.id("users"),
        kind: v.literal("energy"),
        localDate: v.string(),
        createdAt: v.number(),
        ...vEnergyFields,
      }),
    ),
  )
    .index("by_user", ["userId", "createdAt"])
    .index("by_user_date", ["userId", "localDate", "createdAt"])
    .index("by_message", ["messageId"]),

  // 2-, 7- and 21-day reports (MECHANICS §9): inserted by the daily rollover
  // (model/reports.ts writeDueReports), filled by the scheduled compute steps, the narrative
  // by the narrate action. One per (user, type, lastDate). Deleted by account erasure.
  reports: defineTable({
    userId: v.id("users"),
    type: vReportType,
    /** The window's local dates, inclusive, and its instants [startsAt, endsAt). */
    firstDate: v.string(),
    lastDate: v.string(),
    startsAt: v.number(),
    endsAt: v.number(),
    /** n(lastDate): the account's day number on the window's last date. */
    dayNumber: v.number(),
    status: vReportStatus,
    /** While computing: the phase being paged, its cursor and the folds so far. */
    progress: v.optional(vReportProgress),
    /** Read by the rollover that closed lastDate ("at the end"). */
    consistency: v.number(),
    velocity: v.union(v.number(), v.null()),
    momentum: v.union(v.number(), v.null()),
    stats: v.optional(vReportStats),
    series: v.optional(vReportSeries),
    narrative: v.optional(v.string()),
    narrativeStatus: vNarrativeStatus,
    narrativeReason: v.optional(v.string()),
    narrativeAttempts: v.number(),
    tokenUsage: v.optional(vTokenUsage),
    createdAt: v.number(),
    readyAt: v.optional(v.number()),
  }).index("by_user_type_end", ["userId", "type", "lastDate"]),

  // The scheduled function of each live attempt of an action (the turn's model call, the
  // experiment generator), one row per subject. Written when an attempt is scheduled
  // (model/attempts.ts); deleted when the work ends, by the stuck-work sweeper and by
  // account erasure.
  attemptJobs: defineTable({
    userId: v.id("users"),
    kind: vAttemptKind,
    /** turn: the user message. */
    messageId: v.optional(v.id("messages")),
    /** experiment: the generator's args besides the attempt (ids and dates, no text). */
    journeyId: v.optional(v.id("journeys")),
    offeredDate: v.optional(v.string()),
    offeredAt: v.optional(v.number()),
    attempt: v.number(),
    jobId: v.id("_scheduled_functions"),
    /** Past this instant, an attempt whose job is no longer pending or running was lost. */
    deadlineAt: v.number(),
  })
    .index("by_user", ["userId"])
    .index("by_message", ["messageId"])
    .index("by_journey_date", ["journeyId", "offeredDate"])
    .index("by_deadline", ["deadlineAt"]),

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

  // Companions and quests (MECHANICS §10; docs/mechanics.md §10).

  // Global, written only by characters.seed (from src/llm/characters.ts). Kept on erasure.
  characters: defineTable({
    key: v.string(),
    name: v.string(),
    tagline: v.string(),
    /** Goes into the system prompt of every turn the character answers: server data only. */
    personality: v.string(),
    attributeFocus: vMissionAttribute,
    scenario: vScenario,
    avatarUrl: v.string(),
    /** Position in the picker (the seed's order). */
    sortOrder: v.number(),
  })
    .index("by_key", ["key"])
    .index("by_sort_order", ["sortOrder"]),

  // One per (user, character), written by conversation completion (model/relationships.ts).
  // Deleted by erasure.
  relationships: defineTable({
    userId: v.id("users"),
    characterKey: v.string(),
    interactions: v.number(),
    level: v.number(),
    /** Local date of the last counted interaction (at most one per local date). */
    lastInteractionDate: v.optional(v.string()),
    lastInteractionAt: v.optional(v.number()),
    createdAt: v.number(),
  }).index("by_user_character", ["userId", "characterKey"]),

  // One per user, created by the first daily rollover after §10 (model/narrative.ts) and
  // moved by quest reveals and quest-mission completions. Deleted by erasure.
  narrativeStates: defineTable({
    userId: v.id("users"),
    scenario: vScenario,
    chapter: v.number(),
    /** QUEST_BOOK.version when the state last changed. */
    bookVersion: v.string(),
    /** Revealed quests (at most one per template, ever); bounded by the book's size. */
    quests: v.array(vQuestReveal),
    storyCompletedAt: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_user", ["userId"]),

  // Append-only story of a user (reveals, completions, chapters), paged by narrative.events.
  // Written by model/narrative.ts; deleted by erasure.
  storyEvents: defineTable({
    userId: v.id("users"),
    kind: vStoryEventKind,
    chapter: v.number(),
    questKey: v.optional(v.string()),
    missionId: v.optional(v.id("missions")),
    title: v.string(),
    text: v.string(),
    createdAt: v.number(),
  }).index("by_user", ["userId", "createdAt"]),
});
