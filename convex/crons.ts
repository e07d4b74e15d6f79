// Routing table only: each job's handler lives in its resource's file. Never at minute :00
// (everyone else's crons run then); every target is internal.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Star decay and shadow drain, daily at 03:17 UTC (decay.ts fans out per user).
crons.cron("decay stars", "17 3 * * *", internal.decay.run, {});

// Hourly at :37: abandon active conversations idle for 24 h (conversations.ts pages and fans out).
crons.cron("abandon idle conversations", "37 * * * *", internal.conversations.abandonIdle, {});

export default crons;
