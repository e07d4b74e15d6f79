// What the demo page shows for each simulated night: read after the nightly jobs through the
// same public queries a client subscribes to (stars.constellation, conversations.list,
// messages.list, progress.history, experiments.mine, lifeStates.current), so the page is
// a replay of what the app would have shown that night.
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { localDate } from "../src/time";
import type { ConstellationConnection, ConstellationStar } from "../src/render";
import type { Backend } from "./backend";

export type FrameMessage = { role: "user" | "assistant"; content: string; status?: string };

export type DemoFrame = {
  day: number;
  date: string;
  phase: string;
  mirrorDay: number;
  stars: ConstellationStar[];
  connections: ConstellationConnection[];
  /** The conversations started that local date, oldest first, each in reading order. */
  conversations: { phase: string; status: string; messages: FrameMessage[] }[];
  progress: { missionsCompleted: number; minutesCompleted: number; essenceEarned: number };
  streak: number;
  experiment: { when: string; will: string; at: string; status: string; reflection?: string } | null;
  /** The newest snapshot after that night's rollover (it closes this day). */
  lifeState: { localDate: string; thrust: number; alignment: number; gravity: number; mass: number; escapeIndex: number } | null;
};

type User = ReturnType<Backend["withIdentity"]>;

/** Conversations a day holds at most in the demo's script (a mirror or check-in, a discovery). */
const CONVERSATIONS_PER_DAY = 5;
/** Far above a scripted conversation's 6 messages: one page reads it whole. */
const MESSAGES_PER_CONVERSATION = 100;

export async function captureFrame(
  user: User,
  night: { day: number; date: string; timezone: string; now: number; journeyId: Id<"journeys"> | null; streak: number },
): Promise<DemoFrame> {
  const me = await user.query(api.users.me, {});
  const { stars, connections } = await user.query(api.stars.constellation, {});
  const { page: recent } = await user.query(api.conversations.list, {
    paginationOpts: { numItems: CONVERSATIONS_PER_DAY, cursor: null },
  });
  const ofTheDay = recent.filter((c) => localDate(c.startedAt, night.timezone) === night.date).reverse();
  const conversations = await Promise.all(
    ofTheDay.map(async (conversation) => {
      const { page } = await user.query(api.messages.list, {
        conversationId: conversation._id,
        paginationOpts: { numItems: MESSAGES_PER_CONVERSATION, cursor: null },
      });
      // messages.list is newest first; a transcript reads oldest first.
      const messages = [...page].reverse().map(
        (m): FrameMessage => ({ role: m.role, content: m.content, status: m.extraction?.status }),
      );
      return { phase: conversation.phase, status: conversation.status, messages };
    }),
  );
  const history = await user.query(api.progress.history, { now: night.now, days: 2 });
  const row = history.find((entry) => entry.localDate === night.date);
  const experiments =
    night.journeyId === null
      ? []
      : (await user.query(api.experiments.mine, { journeyId: night.journeyId, paginationOpts: { numItems: 3, cursor: null } })).page;
  const experiment = experiments.find((e) => e.offeredDate === night.date) ?? null;
  const state = await user.query(api.lifeStates.current, {});
  return {
    day: night.day,
    date: night.date,
    phase: me?.currentPhase ?? "none",
    mirrorDay: me?.mirrorDay ?? 0,
    stars: stars.map((s) => ({
      _id: s._id,
      label: s.label,
      domain: s.domain,
      type: s.type,
      brightness: s.brightness,
      theta: s.theta,
      radius: s.radius,
    })),
    connections: connections.map((c) => ({ starA: c.starA, starB: c.starB, type: c.type, strength: c.strength })),
    conversations,
    progress: {
      missionsCompleted: row?.missionsCompleted ?? 0,
      minutesCompleted: row?.minutesCompleted ?? 0,
      essenceEarned: row?.essenceEarned ?? 0,
    },
    streak: night.streak,
    experiment:
      experiment === null
        ? null
        : {
            when: experiment.when,
            will: experiment.will,
            at: experiment.at,
            status: experiment.status,
            reflection: experiment.reflection,
          },
    lifeState:
      state === null
        ? null
        : {
            localDate: state.localDate,
            thrust: state.thrust,
            alignment: state.alignment,
            gravity: state.gravity,
            mass: state.mass,
            escapeIndex: state.escapeIndex,
          },
  };
}
