// The scripted first month of one person, Maya, a product designer in Berlin: what she says
// to the coach, and what a model would plausibly answer (reply + extraction) for each turn.
// Answers name stars by label; scenario.ts turns labels into the ids the model was shown
// (or "new:k" refs for stars born in the same turn) just before each call, so the scripted
// server answers exactly like a model that read the prompt.
import type { ConceptType, ConnectionType, Domain, EmotionValence, GrowthDimension, Polarity } from "../src/domain";

export type ScriptedStar = {
  label: string;
  description: string;
  domain: Domain;
  polarity?: Polarity;
  intensity: number;
  conceptType: ConceptType;
};

export type ScriptedTurn = {
  user: string;
  reply: string;
  newStars?: ScriptedStar[];
  reinforce?: { label: string; signal: number }[];
  connect?: { from: string; to: string; type: ConnectionType; strength: number }[];
  skills?: { skill: string; domain: Domain; level: number; confidence: number }[];
  growth?: { dimension: GrowthDimension; delta: number }[];
  /** The emotion the model reads in the message (stored as an `inferred` check-in). */
  emotion?: { valence: EmotionValence; label: string; intensity: number };
};

export type ScriptedConversation = {
  phase: "mirror" | "discovery" | "walk" | "reflection";
  turns: ScriptedTurn[];
  /** Who answers (a key of characters.list); TARS when absent. */
  character?: string;
};

/**
 * The companion Maya talks with for part of her month: the walk check-ins of days 12 to 21
 * go to Thorne, the knight-trainer (her North Star is a health one); the rest to TARS.
 */
export const SECOND_CHARACTER = { key: "thorne", fromDay: 12, toDay: 21 } as const;

/**
 * Thorne closes each check-in with a drill, so his conversations have the 3 user messages
 * that make an interaction (MECHANICS §10) and the relationship grows.
 */
export const SECOND_CHARACTER_CLOSING: ScriptedTurn = {
  user: "Give me one drill for tomorrow.",
  reply: "Before coffee: ten minutes of mobility, then lace your shoes. The run may be short; the habit is the drill.",
};

export const PERSONA = {
  clerkId: "user_demo_maya",
  email: "maya@example.com",
  firstName: "Maya",
  lastName: "Okafor",
  timezone: "Europe/Berlin",
};

// ---------------------------------------------------------------------------------------
// The seven mirror days: the coach listens and the constellation forms.

export const MIRROR_DAYS: ScriptedConversation[] = [
  {
    phase: "mirror",
    turns: [
      {
        user: "I haven't slept properly in weeks. I'm in bed by eleven but I scroll until one.",
        reply: "That sounds exhausting. What pulls you to the phone when the lights go out?",
        newStars: [
          { label: "Poor sleep", description: "Weeks of short, broken nights.", domain: "health", polarity: "shadow", intensity: 0.6, conceptType: "habit" },
          { label: "Scrolling in bed", description: "Phone in bed until late at night.", domain: "health", polarity: "shadow", intensity: 0.5, conceptType: "habit" },
        ],
        connect: [{ from: "Scrolling in bed", to: "Poor sleep", type: "causation", strength: 0.6 }],
        growth: [{ dimension: "self_know", delta: 0.05 }],
      },
      {
        user: "Work, mostly. We ship a big redesign in May and I replay every meeting at night.",
        reply: "So the day follows you into bed. What part of the redesign weighs on you most?",
        newStars: [
          { label: "Work stress", description: "The May redesign deadline follows her home.", domain: "wealth", polarity: "shadow", intensity: 0.55, conceptType: "emotion" },
        ],
        connect: [{ from: "Work stress", to: "Poor sleep", type: "resonance", strength: 0.5 }],
      },
      {
        user: "Presenting to the directors. I always feel like they'll find out I'm not good enough.",
        reply: "That's a heavy belief to carry into a room. Where do you think it comes from?",
        newStars: [
          { label: "I'm not good enough", description: "A belief that others will discover she is not capable.", domain: "soul", polarity: "shadow", intensity: 0.65, conceptType: "belief" },
        ],
        connect: [{ from: "I'm not good enough", to: "Work stress", type: "causation", strength: 0.5 }],
        growth: [{ dimension: "self_know", delta: 0.08 }],
      },
    ],
  },
  {
    phase: "mirror",
    turns: [
      {
        user: "I called my sister Lena yesterday. She always knows when something is off.",
        reply: "It sounds like Lena is a safe place. What did she notice?",
        newStars: [
          { label: "Sister Lena", description: "Her sister, the person who sees through her.", domain: "relationships", intensity: 0.6, conceptType: "relationship" },
        ],
      },
      {
        user: "That I keep saying yes to everyone at work. I hate disagreeing with people.",
        reply: "Saying yes keeps the peace, and costs you. What happens when you imagine saying no?",
        newStars: [
          { label: "Fear of conflict", description: "Avoids disagreement, says yes to keep the peace.", domain: "relationships", polarity: "shadow", intensity: 0.5, conceptType: "belief" },
        ],
        connect: [
          { from: "Fear of conflict", to: "Work stress", type: "causation", strength: 0.5 },
          { from: "I'm not good enough", to: "Fear of conflict", type: "shadow_mirror", strength: 0.6 },
        ],
        skills: [{ skill: "Active Listening", domain: "relationships", level: 6.5, confidence: 0.6 }],
      },
      {
        user: "My stomach drops. But I'm good at hearing what people actually need.",
        reply: "That listening is a real strength. Notice it sits right next to the fear.",
        reinforce: [{ label: "Fear of conflict", signal: 0.4 }],
        growth: [{ dimension: "self_know", delta: 0.05 }],
      },
    ],
  },
  {
    phase: "mirror",
    turns: [
      {
        user: "I used to run three times a week. Running was the one thing that emptied my head.",
        reply: "What stopped you?",
        newStars: [
          { label: "Running", description: "Running used to clear her head.", domain: "health", intensity: 0.45, conceptType: "habit" },
        ],
        skills: [{ skill: "Running", domain: "health", level: 5, confidence: 0.6 }],
      },
      {
        user: "No time since the project started. And I'm so tired in the morning.",
        reply: "Tired mornings and no runs: the sleep and the running may be holding each other down.",
        reinforce: [{ label: "Poor sleep", signal: 0.5 }],
        connect: [{ from: "Running", to: "Poor sleep", type: "tension", strength: 0.5 }],
      },
      {
        user: "Quiet mornings with coffee before anyone wakes up are what I miss most.",
        reply: "That's something to protect. What would one quiet morning a week look like?",
        newStars: [
          { label: "Quiet mornings", description: "Unhurried mornings with coffee before the day starts.", domain: "soul", intensity: 0.5, conceptType: "value" },
        ],
        connect: [{ from: "Running", to: "Quiet mornings", type: "resonance", strength: 0.5 }],
      },
    ],
  },
  {
    phase: "mirror",
    turns: [
      {
        user: "I want to save for a flat of my own. Renting in Berlin eats half my salary.",
        reply: "A home of your own. How far along is the saving?",
        newStars: [
          { label: "Saving for a flat", description: "Wants to buy a flat; saving for the deposit.", domain: "wealth", intensity: 0.5, conceptType: "goal" },
        ],
        growth: [{ dimension: "self_show", delta: 0.05 }],
      },
      {
        user: "Not far. When work is bad I buy things online to feel better.",
        reply: "So the stress finds a way out through spending. That's honest to notice.",
        newStars: [
          { label: "Impulse spending", description: "Buys things online to soothe a bad day.", domain: "wealth", polarity: "shadow", intensity: 0.45, conceptType: "habit" },
        ],
        connect: [
          { from: "Impulse spending", to: "Saving for a flat", type: "tension", strength: 0.6 },
          { from: "Work stress", to: "Impulse spending", type: "causation", strength: 0.5 },
        ],
      },
      {
        user: "I made a budget spreadsheet once. I'm actually decent at it when I look.",
        reply: "Then the skill is there; it's the looking that lapses.",
        skills: [{ skill: "Budgeting", domain: "wealth", level: 6, confidence: 0.6 }],
        reinforce: [{ label: "Saving for a flat", signal: 0.3 }],
      },
    ],
  },
  {
    phase: "mirror",
    turns: [
      {
        user: "Lena said I light up when I talk about mentoring the junior designers.",
        reply: "What lights you up about it?",
        reinforce: [{ label: "Sister Lena", signal: 0.4 }],
        newStars: [
          { label: "Helping others grow", description: "Mentoring junior designers gives her energy.", domain: "purpose", intensity: 0.55, conceptType: "value" },
        ],
        connect: [{ from: "Sister Lena", to: "Helping others grow", type: "resonance", strength: 0.5 }],
      },
      {
        user: "Seeing them get better. Someday I'd like to lead a design team.",
        reply: "Leading a team: that is a direction. What stands between you and it?",
        newStars: [
          { label: "Lead a design team", description: "Wants to lead a design team one day.", domain: "purpose", intensity: 0.45, conceptType: "goal" },
        ],
        connect: [
          { from: "Helping others grow", to: "Lead a design team", type: "growth_edge", strength: 0.5 },
          { from: "I'm not good enough", to: "Lead a design team", type: "blocks", strength: 0.6 },
        ],
        skills: [{ skill: "Mentoring", domain: "purpose", level: 6, confidence: 0.65 }],
      },
      {
        user: "Honestly? The voice that says I'm not good enough.",
        reply: "Then that voice is worth getting to know, not fighting.",
        reinforce: [{ label: "I'm not good enough", signal: 0.3 }],
        growth: [{ dimension: "self_know", delta: 0.08 }],
      },
    ],
  },
  {
    phase: "mirror",
    turns: [
      {
        user: "I slept seven hours last night. I left the phone in the kitchen.",
        reply: "Seven hours! What made it possible?",
        reinforce: [
          { label: "Poor sleep", signal: -0.5 },
          { label: "Scrolling in bed", signal: -0.4 },
        ],
        newStars: [
          { label: "Evening wind-down", description: "Phone out of the bedroom, a calmer end to the day.", domain: "health", intensity: 0.4, conceptType: "habit" },
        ],
        connect: [{ from: "Evening wind-down", to: "Poor sleep", type: "tension", strength: 0.5 }],
        skills: [{ skill: "Sleep Hygiene", domain: "health", level: 4, confidence: 0.55 }],
      },
      {
        user: "Lena dared me. She texted me at ten to check.",
        reply: "A sister who checks in at ten. That's care in action.",
        reinforce: [{ label: "Sister Lena", signal: 0.5 }],
      },
      {
        user: "I feel more like myself today. Curious again, even about work.",
        reply: "Curiosity is a good sign. Hold on to what made today different.",
        newStars: [
          { label: "Curiosity", description: "Curious and engaged when rested.", domain: "soul", intensity: 0.5, conceptType: "value" },
        ],
        connect: [{ from: "Curiosity", to: "Quiet mornings", type: "resonance", strength: 0.4 }],
        growth: [{ dimension: "self_know", delta: 0.05 }],
      },
    ],
  },
  {
    phase: "mirror",
    turns: [
      {
        user: "Looking back at this week: sleep, work, money, Lena. It's all connected, isn't it?",
        reply: "It is. Your week drew a map: sleep and stress feed each other, and one belief sits underneath.",
        reinforce: [
          { label: "Work stress", signal: 0.3 },
          { label: "I'm not good enough", signal: 0.2 },
        ],
        growth: [{ dimension: "world_know", delta: 0.1 }],
      },
      {
        user: "I want to run again. Maybe a 10k in the summer.",
        reply: "A 10k gives the running a shape. Let's plot it together next.",
        reinforce: [{ label: "Running", signal: 0.5 }],
        growth: [{ dimension: "self_show", delta: 0.05 }],
      },
      {
        user: "And I want to stop believing I'm not good enough.",
        reply: "That's the bravest line of the week. We'll walk toward it in small steps.",
        reinforce: [{ label: "I'm not good enough", signal: -0.3 }],
      },
    ],
  },
];

// ---------------------------------------------------------------------------------------
// Discovery and walk conversations after the birth chart.

export const DISCOVERY: ScriptedConversation = {
  phase: "discovery",
  turns: [
    {
      user: "If I'm honest, my North Star is feeling steady: sleeping well, running, and leading without fear.",
      reply: "Steady, rested, leading. Let's make that your North Star and plot the first milestones.",
      reinforce: [
        { label: "Lead a design team", signal: 0.4 },
        { label: "Running", signal: 0.3 },
      ],
      growth: [{ dimension: "self_show", delta: 0.1 }],
    },
  ],
};

/** Walk-phase check-ins, one every few days (cycled). */
export const WALK_CHECKINS: ScriptedConversation[] = [
  {
    phase: "walk",
    turns: [
      {
        user: "Ran 4 km this morning before work. Slow, but I did it.",
        reply: "Slow counts. How did the rest of the day feel?",
        reinforce: [{ label: "Running", signal: 0.7 }],
        newStars: [
          { label: "Morning runs", description: "Runs before work, before the day can say no.", domain: "health", intensity: 0.5, conceptType: "habit" },
        ],
        connect: [
          { from: "Morning runs", to: "Running", type: "resonance", strength: 0.6 },
          { from: "Morning runs", to: "Quiet mornings", type: "growth_edge", strength: 0.5 },
        ],
        skills: [{ skill: "Running", domain: "health", level: 5.5, confidence: 0.65 }],
        growth: [{ dimension: "self_act", delta: 0.1 }],
      },
      {
        user: "Calmer. I even slept before midnight.",
        reply: "Running and sleep, pulling in the same direction now.",
        reinforce: [
          { label: "Evening wind-down", signal: 0.5 },
          { label: "Poor sleep", signal: -0.4 },
        ],
      },
    ],
  },
  {
    phase: "walk",
    turns: [
      {
        user: "I told my manager the redesign scope is too big. My voice shook but I said it.",
        reply: "You disagreed out loud. What happened?",
        newStars: [
          { label: "Speaking up", description: "Says the honest thing at work, even with a shaking voice.", domain: "purpose", intensity: 0.5, conceptType: "skill" },
        ],
        connect: [
          { from: "Speaking up", to: "Fear of conflict", type: "tension", strength: 0.6 },
          { from: "Speaking up", to: "Lead a design team", type: "growth_edge", strength: 0.6 },
        ],
        reinforce: [
          { label: "Fear of conflict", signal: -0.5 },
          { label: "I'm not good enough", signal: -0.4 },
        ],
        skills: [{ skill: "Conflict Resolution", domain: "relationships", level: 5, confidence: 0.6 }],
        growth: [{ dimension: "world_act", delta: 0.1 }],
      },
      {
        user: "She agreed and cut two features. I can't believe it.",
        reply: "Evidence against the old voice. Write that one down.",
        reinforce: [{ label: "Work stress", signal: -0.4 }],
        growth: [{ dimension: "self_know", delta: 0.05 }],
      },
    ],
  },
  {
    phase: "walk",
    turns: [
      {
        user: "Moved 300 euros to the flat account on payday, before I could spend it.",
        reply: "Paying your future self first. How does it feel?",
        newStars: [
          { label: "Pay myself first", description: "Savings move on payday, before spending can start.", domain: "wealth", intensity: 0.5, conceptType: "habit" },
        ],
        connect: [
          { from: "Pay myself first", to: "Saving for a flat", type: "causation", strength: 0.6 },
          { from: "Pay myself first", to: "Impulse spending", type: "tension", strength: 0.5 },
        ],
        reinforce: [
          { label: "Saving for a flat", signal: 0.6 },
          { label: "Impulse spending", signal: -0.4 },
        ],
        skills: [{ skill: "Budgeting", domain: "wealth", level: 6.5, confidence: 0.65 }],
        growth: [{ dimension: "world_act", delta: 0.05 }],
      },
      {
        user: "Good. Lena wants to come flat-hunting with me in autumn.",
        reply: "A plan with your sister in it. That's a strong combination.",
        reinforce: [{ label: "Sister Lena", signal: 0.4 }],
      },
    ],
  },
  {
    phase: "walk",
    turns: [
      {
        user: "Ran the junior designers' critique today. Two of them thanked me after.",
        reply: "That's leadership already. What did you do well?",
        reinforce: [
          { label: "Helping others grow", signal: 0.6 },
          { label: "Lead a design team", signal: 0.5 },
        ],
        skills: [{ skill: "Mentoring", domain: "purpose", level: 6.5, confidence: 0.65 }],
        growth: [{ dimension: "world_show", delta: 0.1 }],
      },
      {
        user: "I listened first and only then gave feedback.",
        reply: "Listening first: the same strength Lena sees in you.",
        newStars: [
          { label: "Listening first", description: "Understands before she answers; people feel it.", domain: "relationships", intensity: 0.55, conceptType: "insight" },
        ],
        connect: [{ from: "Listening first", to: "Helping others grow", type: "resonance", strength: 0.6 }],
        reinforce: [{ label: "Curiosity", signal: 0.4 }],
        skills: [{ skill: "Active Listening", domain: "relationships", level: 7, confidence: 0.65 }],
      },
    ],
  },
];

// ---------------------------------------------------------------------------------------
// The journey, its daily experiments, and missions.

export const JOURNEY = {
  northStar: {
    description: "Feel steady: rested, running, and leading my work without fear.",
    successCriteria: "Seven-hour nights most days, a 10k run, and presenting the redesign calmly.",
    timeframe: "3_month" as const,
  },
  domainWeights: { health: 0.4, wealth: 0.15, relationships: 0.15, purpose: 0.2, soul: 0.1 },
  milestones: [
    { title: "Two weeks of phone-free evenings", description: "Phone stays in the kitchen after 22:00." },
    { title: "Run 5 km without stopping" },
    { title: "Present the redesign to the directors" },
  ],
};

/**
 * Experiment offers, cycled: each is WHEN / WILL / AT with the stars it works on. They link
 * the light star each one builds: completing an experiment reinforces its stars positively
 * (model/experiments.ts), so linking a shadow star would brighten the pattern it fights.
 */
export const EXPERIMENTS: { when: string; will: string; at: string; rationale: string; stars: string[] }[] = [
  { when: "When I brush my teeth at 22:00", will: "put my phone on the kitchen charger", at: "at home", rationale: "Scrolling in bed drives the short nights; a wind-down replaces it.", stars: ["Evening wind-down"] },
  { when: "When my alarm rings", will: "put on running shoes before checking messages", at: "in the hallway", rationale: "Running steadies sleep and mood.", stars: ["Running"] },
  { when: "When I feel the urge to buy something online", will: "wait 24 hours and note the feeling", at: "at my desk", rationale: "Stress leaks into spending; every pause protects the flat.", stars: ["Saving for a flat"] },
  { when: "When a meeting asks for my opinion", will: "say one honest sentence first", at: "at work", rationale: "Small disagreements weaken the fear of conflict and build toward leading.", stars: ["Lead a design team"] },
  { when: "When I make coffee in the morning", will: "sit ten quiet minutes without the phone", at: "at the kitchen table", rationale: "Quiet mornings restore her.", stars: ["Quiet mornings"] },
  { when: "When I finish work on Friday", will: "text Lena one win of the week", at: "on the tram home", rationale: "Naming wins answers the old voice.", stars: ["Sister Lena"] },
];

export const MISSIONS = [
  { title: "Evening walk", description: "Twenty minutes outside after work.", durationMinutes: 20, essenceReward: 10, attributeType: "Health" as const },
  { title: "Journal three lines", description: "What went well, what was hard, one thing learned.", durationMinutes: 10, essenceReward: 5, attributeType: "Growth" as const },
  { title: "Run", description: "An easy run, any distance.", durationMinutes: 30, essenceReward: 15, attributeType: "Health" as const },
  { title: "Call Lena", description: "A real call, not a text.", durationMinutes: 15, essenceReward: 8, attributeType: "Connection" as const },
];

/**
 * Maya's check-ins (MECHANICS §9): her morning energy (1–10) and one evening feeling. The
 * first week is heavy (short nights, work worries); from the journey on, the mornings lift.
 */
export const ENERGY_BY_DAY = [4, 3, 5, 4, 3, 5, 5, 6, 5, 6, 7, 6, 7, 7, 5, 6, 7, 8, 7, 6, 7, 8, 8, 7, 6, 8, 8, 7, 8, 9];
export const FEELINGS: { valence: EmotionValence; label: string; intensity: number }[] = [
  { valence: "negative", label: "anxious", intensity: 0.7 },
  { valence: "negative", label: "drained", intensity: 0.6 },
  { valence: "neutral", label: "flat", intensity: 0.4 },
  { valence: "positive", label: "hopeful", intensity: 0.5 },
  { valence: "negative", label: "restless", intensity: 0.5 },
  { valence: "positive", label: "proud", intensity: 0.6 },
  { valence: "positive", label: "calm", intensity: 0.7 },
];

/** A short narrative the scripted model writes for a report (the real model writes its own). */
export function scriptedNarrative(day: number): string {
  return day < 8
    ? "You came back every day this week, even on the tired ones. The short nights and the work worries keep showing up together; noticing that is the first step. Tomorrow, try putting the phone down ten minutes earlier."
    : "Your mornings are lifting and the evening walks are becoming yours. The days you skipped were the days the old worry spoke loudest, so that is where a small plan helps most. Keep the next step tiny and keep it daily.";
}
