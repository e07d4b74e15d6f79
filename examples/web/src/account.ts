// The sign-up race: Clerk signs a person in at once, but their Lodestar row is created by
// Clerk's webhook a moment later. Until it exists, every query answers ACCOUNT_NOT_READY.
// users.me answers null instead (it is built to answer before provisioning), and
// users.ensure creates the row from the token if the webhook is late (idempotent), so:
// subscribe to me, call ensure once while it is null, and render the screens only when me
// is a user. me is live: the row appearing (from either side) re-renders this.
import { useConvexAuth, useMutation, useQuery } from "convex/react";
import { useEffect, useRef, useState } from "react";
import { api, type UserView } from "./convex";

export type Account =
  | { state: "loading" }
  | { state: "ready"; user: UserView }
  | { state: "deletion-pending"; user: UserView }
  | { state: "failed"; error: unknown };

export function useAccount(): Account {
  const { isAuthenticated } = useConvexAuth();
  const me = useQuery(api.users.me, isAuthenticated ? {} : "skip");
  const ensure = useMutation(api.users.ensure);
  const [error, setError] = useState<unknown>(null);
  const asked = useRef(false);

  useEffect(() => {
    if (me !== null || asked.current) return; // loading (undefined) or the row exists
    asked.current = true; // once per mount, also under StrictMode's double effects
    ensure().catch(setError);
  }, [me, ensure]);

  if (error !== null) return { state: "failed", error };
  if (me === undefined || me === null) return { state: "loading" };
  // Pending deletion: only users.me, privacy.deletionStatus and privacy.cancelDeletion answer.
  if (me.deletionRequestedAt !== undefined) return { state: "deletion-pending", user: me };
  return { state: "ready", user: me };
}
