// The coach's model for the demo: by default a real OpenAI-compatible HTTP server on
// loopback (tests/support/openaiServer.ts) answering from the script, so the real `openai`
// SDK and the real pipeline run offline; with OPENAI_API_KEY set (or an explicit base URL),
// the real model answers instead and nothing is scripted.
import { startOpenAIServer, type OpenAIServer } from "../tests/support/openaiServer";
import type { ExperimentOutput, TurnOutput } from "../src/llm/schemas";
import { normalizeLabel } from "../src/domain";
import type { ScriptedTurn } from "./script";

export type DemoModel =
  | { mode: "scripted"; server: OpenAIServer; close: () => Promise<void> }
  | { mode: "real"; close: () => Promise<void> };

/** Environment the Convex functions read (convex-test exposes process.env as `env`). */
export type ModelEnv = { OPENAI_API_KEY?: string; OPENAI_BASE_URL?: string; OPENAI_MODEL?: string };

export async function startDemoModel(options: { real: boolean; openaiBaseURL?: string; env: ModelEnv }): Promise<{
  model: DemoModel;
  env: ModelEnv;
}> {
  const realKey = options.env.OPENAI_API_KEY?.trim();
  if (options.real || options.openaiBaseURL) {
    const env: ModelEnv = {
      OPENAI_API_KEY: realKey || "sk-local-compatible-server",
      OPENAI_BASE_URL: options.openaiBaseURL ?? options.env.OPENAI_BASE_URL,
      OPENAI_MODEL: options.env.OPENAI_MODEL,
    };
    return { model: { mode: "real", close: async () => {} }, env };
  }
  const server = await startOpenAIServer();
  return {
    model: { mode: "scripted", server, close: () => server.close() },
    // The SDK needs some key; the loopback server ignores it.
    env: { OPENAI_API_KEY: "sk-demo-offline", OPENAI_BASE_URL: server.baseURL, OPENAI_MODEL: "tars-scripted" },
  };
}

/** label → star id, for the stars the model is shown. */
export type StarIndex = ReadonlyMap<string, string>;

export function indexStars(stars: readonly { _id: string; label: string }[]): StarIndex {
  return new Map(stars.map((star) => [normalizeLabel(star.label), star._id]));
}

/**
 * The wire answer (TURN_SCHEMA) a model would give for this turn: new stars get "new:k"
 * refs, existing stars their ids; quotes are the user's own words.
 */
export function turnAnswer(turn: ScriptedTurn, known: StarIndex): TurnOutput {
  const newStars = turn.newStars ?? [];
  const refs = new Map(newStars.map((star, i) => [normalizeLabel(star.label), `new:${i + 1}`]));
  const ref = (label: string) => refs.get(normalizeLabel(label)) ?? known.get(normalizeLabel(label));
  const quote = turn.user;
  return {
    reply: turn.reply,
    extraction: {
      newStars: newStars.map((star, i) => ({
        ref: `new:${i + 1}`,
        label: star.label,
        description: star.description,
        domain: star.domain,
        polarity: star.polarity ?? "light",
        intensity: star.intensity,
        conceptType: star.conceptType,
        quote,
      })),
      reinforcements: (turn.reinforce ?? []).flatMap(({ label, signal }) => {
        const starId = known.get(normalizeLabel(label));
        return starId === undefined ? [] : [{ starId, signal, quote }];
      }),
      connections: (turn.connect ?? []).flatMap(({ from, to, type, strength }) => {
        const a = ref(from);
        const b = ref(to);
        return a === undefined || b === undefined ? [] : [{ from: a, to: b, type, strength, quote }];
      }),
      skillEvidence: (turn.skills ?? []).map(({ skill, domain, level, confidence }) => ({
        skillName: skill,
        domain,
        level,
        confidence,
        quote,
      })),
      growthSignals: (turn.growth ?? []).map(({ dimension, delta }) => ({ dimension, delta, quote })),
      emotion: turn.emotion ?? null,
    },
  };
}

export function experimentAnswer(
  experiment: { when: string; will: string; at: string; rationale: string; stars: string[] },
  known: StarIndex,
): ExperimentOutput {
  return {
    when: experiment.when,
    will: experiment.will,
    at: experiment.at,
    rationale: experiment.rationale,
    starIds: experiment.stars.flatMap((label) => known.get(normalizeLabel(label)) ?? []),
  };
}
