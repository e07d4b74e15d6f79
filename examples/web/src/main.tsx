// Entry: Clerk signs the user in, ConvexProviderWithClerk hands Clerk's token (the JWT
// template named "convex") to the Convex client, and <App> renders once both agree.
import { ClerkProvider, useAuth } from "@clerk/react";
import { ConvexReactClient } from "convex/react";
import { ConvexProviderWithClerk } from "convex/react-clerk";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./styles.css";

const convexUrl = import.meta.env.VITE_CONVEX_URL;
const clerkPublishableKey = import.meta.env.VITE_CLERK_PUBLISHABLE_KEY;

function MissingSettings() {
  return (
    <main className="centered">
      <h1>Lodestar</h1>
      <p>
        Set <code>VITE_CONVEX_URL</code> and <code>VITE_CLERK_PUBLISHABLE_KEY</code> in{" "}
        <code>examples/web/.env.local</code> (see <code>.env.example</code>), then restart <code>npm run dev:web</code>.
      </p>
    </main>
  );
}

const root = createRoot(document.getElementById("root")!);

if (!convexUrl || !clerkPublishableKey) {
  root.render(<MissingSettings />);
} else {
  const convex = new ConvexReactClient(convexUrl);
  root.render(
    <StrictMode>
      <ClerkProvider publishableKey={clerkPublishableKey}>
        <ConvexProviderWithClerk client={convex} useAuth={useAuth}>
          <App />
        </ConvexProviderWithClerk>
      </ClerkProvider>
    </StrictMode>,
  );
}
