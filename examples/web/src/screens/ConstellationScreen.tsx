// The constellation, live: useQuery re-renders whenever the answer changes (a reply's
// extraction adds or reinforces stars, the nightly decay dims them, an edit or dismissal).
// Drawn with the same pure renderer the demo uses (src/render.ts): an SVG string.
import { useQuery } from "convex/react";
import { useMemo, useState, type MouseEvent } from "react";
import { renderConstellation } from "../../../../src/render";
import { api, type Id } from "../convex";

export function ConstellationScreen() {
  const constellation = useQuery(api.stars.constellation, {});
  const [selected, setSelected] = useState<Id<"stars"> | null>(null);
  const svg = useMemo(
    () => (constellation === undefined ? "" : renderConstellation(constellation.stars, constellation.connections, { size: 640 })),
    [constellation],
  );

  if (constellation === undefined) return <p>Loading your constellation…</p>;
  if (constellation.stars.length === 0) return <p>No stars yet: talk with the coach and they appear here.</p>;

  // The renderer tags each disc with data-star-id; one listener finds the star clicked.
  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const id = (event.target as Element).closest("circle.star")?.getAttribute("data-star-id");
    const star = constellation.stars.find((s) => s._id === id);
    setSelected(star === undefined ? null : star._id);
  };

  return (
    <section className="constellation">
      <div className="drawing" onClick={onClick} dangerouslySetInnerHTML={{ __html: svg }} />
      {constellation.truncated && <p className="hint">Showing your brightest stars (the constellation is capped).</p>}
      {selected !== null && <StarDetail starId={selected} onClose={() => setSelected(null)} />}
    </section>
  );
}

/** One star in full (stars.get): its description, evidence quotes and connections. */
function StarDetail({ starId, onClose }: { starId: Id<"stars">; onClose: () => void }) {
  const detail = useQuery(api.stars.get, { starId });
  if (detail === undefined) return <aside>Loading…</aside>;
  const { star, connections } = detail;
  return (
    <aside>
      <button type="button" onClick={onClose} aria-label="Close">
        ×
      </button>
      <h2>{star.label}</h2>
      <p>
        {star.type} {star.domain} star, brightness {star.brightness.toFixed(2)}
      </p>
      <p>{star.description}</p>
      <h3>In your words</h3>
      <ul>
        {star.evidence.map((quote, i) => (
          <li key={i}>“{quote.quote}”</li>
        ))}
      </ul>
      <p>{connections.length} connections</p>
    </aside>
  );
}
