// Today: the day's progress and streak, the day's experiment on the walking journey, and the
// latest LifeState.
import { useMutation, useQuery } from "convex/react";
import { useEffect, useState } from "react";
import { api, type Id, type UserView } from "../convex";
import { adviseOn } from "../errors";

/**
 * A coarse "now" for the queries that take one (queries cannot read the clock). It stays
 * fixed, so the subscription is stable, until `resetsAt` (the next local midnight, which
 * progress.today returns); then it moves and the queries re-subscribe for the new day.
 */
function useDayClock(resetsAt: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (resetsAt === undefined) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.max(0, resetsAt - Date.now()) + 1000);
    return () => clearTimeout(timer);
  }, [resetsAt]);
  return now;
}

export function TodayScreen({ user }: { user: UserView }) {
  const [resetsAt, setResetsAt] = useState<number | undefined>(undefined);
  const now = useDayClock(resetsAt);
  const today = useQuery(api.progress.today, { now });
  const streak = useQuery(api.progress.streak, { now });
  const lifeState = useQuery(api.lifeStates.current, {});
  // The walking journey, if any: one page of one.
  const walking = useQuery(api.journeys.mine, { status: "walking", paginationOpts: { numItems: 1, cursor: null } });

  useEffect(() => setResetsAt(today?.resetsAt), [today?.resetsAt]);

  if (today === undefined || streak === undefined) return <p>Loading today…</p>;
  const journey = walking?.page[0];
  const minutes = today.day.minutesCompleted;

  return (
    <section className="today">
      <h1>
        {today.localDate} <small>({user.timezone})</small>
      </h1>
      {user.timezoneInvalid ? (
        <p className="hint">
          Your time zone ({user.timezone}) is no longer recognised: your days are counted in UTC until you choose it
          again.
        </p>
      ) : null}
      <div className="stats">
        <Stat value={`${minutes} / ${today.dailyCapacityMinutes} min`} label="today's missions" />
        <Stat value={String(today.day.missionsCompleted)} label="missions completed" />
        <Stat value={String(streak.streakDays)} label="day streak" />
        <Stat value={String(user.essence)} label="essence" />
      </div>
      {journey === undefined ? (
        <p className="hint">No journey is walking yet: the experiments start once you plot one.</p>
      ) : (
        <Experiment journeyId={journey._id} localDate={today.localDate} northStar={journey.northStar.description} />
      )}
      <h2>Trajectory</h2>
      {lifeState === undefined ? (
        <p>Loading…</p>
      ) : lifeState === null ? (
        <p className="hint">The first LifeState is taken after your first local midnight.</p>
      ) : (
        <div className="stats">
          <Stat value={lifeState.escapeIndex.toFixed(2)} label="escape index η" />
          <Stat value={lifeState.thrust.toFixed(2)} label="thrust" />
          <Stat value={lifeState.alignment.toFixed(2)} label="alignment" />
          <Stat value={lifeState.gravity.toFixed(2)} label="gravity" />
          <Stat value={lifeState.mass.toFixed(2)} label="mass" />
          <Stat value={lifeState.localDate} label="as of" />
        </div>
      )}
    </section>
  );
}

function Stat({ value, label }: { value: string; label: string }) {
  return (
    <div className="stat">
      <b>{value}</b>
      <span>{label}</span>
    </div>
  );
}

/** The day's WHEN / WILL / AT experiment: ask for it, accept, complete or skip. */
function Experiment({ journeyId, localDate, northStar }: { journeyId: Id<"journeys">; localDate: string; northStar: string }) {
  const { experiment, generating } = useQuery(api.experiments.today, { journeyId }) ?? { experiment: undefined, generating: false };
  const offer = useMutation(api.experiments.offerToday);
  const accept = useMutation(api.experiments.accept);
  const complete = useMutation(api.experiments.complete);
  const skip = useMutation(api.experiments.skip);
  const [error, setError] = useState<unknown>(null);
  const run = (action: () => Promise<unknown>) => {
    setError(null);
    action().catch(setError);
  };

  if (experiment === undefined) return <p>Loading today's experiment…</p>;
  // `today` returns the journey's newest offer of any day: today's is the one offered today.
  const todays = experiment !== null && experiment.offeredDate === localDate ? experiment : null;

  return (
    <div className="experiment">
      <h2>Today's experiment</h2>
      <p className="hint">Toward: {northStar}</p>
      {generating ? (
        <p>TARS is designing today's experiment…</p>
      ) : todays === null ? (
        <button type="button" onClick={() => run(() => offer({ journeyId }))}>
          Suggest today's experiment
        </button>
      ) : (
        <>
          <p>
            {todays.when}, I will {todays.will} {todays.at}.
          </p>
          <p className="hint">Status: {todays.status}</p>
          {todays.status === "pending" && (
            <button type="button" onClick={() => run(() => accept({ experimentId: todays._id }))}>
              Accept
            </button>
          )}
          {(todays.status === "pending" || todays.status === "accepted") && (
            <>
              <button type="button" onClick={() => run(() => complete({ experimentId: todays._id }))}>
                Done
              </button>
              <button type="button" onClick={() => run(() => skip({ experimentId: todays._id }))}>
                Skip
              </button>
            </>
          )}
        </>
      )}
      {error !== null && <p className="error">{adviseOn(error).text}</p>}
    </div>
  );
}
