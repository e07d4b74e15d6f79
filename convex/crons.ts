// Routing table only: each job's handler lives in its resource's file. Never at minute :00
// (everyone else's crons run then); every target is internal.
import { cronJobs } from "convex/server";

const crons = cronJobs();

export default crons;
