// Signed out: a sign-in button. Signed in: wait for the account (useAccount), then the three
// screens. Convex's <Authenticated> waits until the Convex client holds a valid Clerk token,
// which is later than Clerk's own signed-in state: gate Convex calls on it, not on Clerk's.
import { SignInButton, UserButton } from "@clerk/react";
import { Authenticated, AuthLoading, Unauthenticated, useMutation } from "convex/react";
import { useState } from "react";
import { useAccount } from "./account";
import { api } from "./convex";
import { QueryErrorBoundary } from "./ErrorBoundary";
import { adviseOn } from "./errors";
import { ChatScreen } from "./screens/ChatScreen";
import { ConstellationScreen } from "./screens/ConstellationScreen";
import { TodayScreen } from "./screens/TodayScreen";

const SCREENS = { today: "Today", constellation: "Constellation", chat: "Coach" } as const;
type Screen = keyof typeof SCREENS;

export function App() {
  return (
    <>
      <AuthLoading>
        <main className="centered">Loading…</main>
      </AuthLoading>
      <Unauthenticated>
        <main className="centered">
          <h1>Lodestar</h1>
          <SignInButton mode="modal" />
        </main>
      </Unauthenticated>
      <Authenticated>
        <SignedInApp />
      </Authenticated>
    </>
  );
}

function SignedInApp() {
  const account = useAccount();
  const [screen, setScreen] = useState<Screen>("today");

  if (account.state === "loading") return <main className="centered">Setting up your account…</main>;
  if (account.state === "failed") return <main className="centered error">{adviseOn(account.error).text}</main>;
  if (account.state === "deletion-pending") return <DeletionPending />;

  return (
    <div className="app">
      <nav>
        <strong>Lodestar</strong>
        {(Object.keys(SCREENS) as Screen[]).map((key) => (
          <button key={key} type="button" aria-pressed={screen === key} onClick={() => setScreen(key)}>
            {SCREENS[key]}
          </button>
        ))}
        <span className="spacer">{account.user.displayName ?? account.user.email}</span>
        <UserButton />
      </nav>
      <QueryErrorBoundary key={screen}>
        {screen === "today" && <TodayScreen user={account.user} />}
        {screen === "constellation" && <ConstellationScreen />}
        {screen === "chat" && <ChatScreen user={account.user} />}
      </QueryErrorBoundary>
    </div>
  );
}

function DeletionPending() {
  const cancel = useMutation(api.privacy.cancelDeletion);
  const [error, setError] = useState<unknown>(null);
  return (
    <main className="centered">
      <p>Your account is scheduled for deletion: it is erased 7 days after the request.</p>
      <button type="button" onClick={() => cancel({}).catch(setError)}>
        Keep my account
      </button>
      {error !== null && <p className="error">{adviseOn(error).text}</p>}
    </main>
  );
}
