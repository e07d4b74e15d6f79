// Routing table only: each job's handler lives in its resource's file. Never at minute :00
// (everyone else's crons run then); every target is internal.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Star decay and shadow drain, daily at 03:17 UTC (decay.ts fans out per user).
crons.cron("decay stars", "17 3 * * *", internal.decay.run, {});

// Trajectory (jobs.ts; schedule, work and idempotency keys in docs/trajectory-api.md "Jobs").
// Hourly at :23: users whose local date has turned get their journeys' velocity/momentum
// and their daily LifeState snapshot.
crons.cron("daily rollover", "23 * * * *", internal.jobs.dailyRollover, {});
// Hourly at :41: expire open experiments past their local midnight (behind each runAt job).
crons.cron("expire experiments", "41 * * * *", internal.jobs.expireExperiments, {});
// Daily at 04:47 UTC: LifeState snapshot retention (MECHANICS §7).
crons.cron("prune life states", "47 4 * * *", internal.jobs.pruneLifeStates, {});
// Daily at 05:13 UTC: archive conversations idle for 12 months (messages deleted).
crons.cron("archive conversations", "13 5 * * *", internal.jobs.archiveConversations, {});

// Hourly at :37: abandon active conversations idle for 24 h (conversations.ts pages and fans out).
crons.cron("abandon idle conversations", "37 * * * *", internal.conversations.abandonIdle, {});

// Every 2 minutes: recover attempts whose action died (sweeper.ts; docs/pipeline.md "Nothing stuck").
crons.interval("sweep stuck attempts", { minutes: 2 }, internal.sweeper.sweepStuck, {});
// Hourly at :53: embed memories still pending after 10 minutes (memory.ts; a failed or
// missed embedding, a key set later).
crons.cron("sweep memories", "53 * * * *", internal.memory.sweep, {});

// Daily at 04:29 UTC: forget svix ids processed more than 30 days ago (users.ts).
crons.cron("prune webhook events", "29 4 * * *", internal.users.pruneWebhookEvents, {});

export default crons;
