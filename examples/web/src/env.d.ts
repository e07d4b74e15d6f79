/// <reference types="vite/client" />

// The two settings the client needs to run (not to build): see examples/web/README.md.
interface ImportMetaEnv {
  readonly VITE_CONVEX_URL?: string;
  readonly VITE_CLERK_PUBLISHABLE_KEY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
