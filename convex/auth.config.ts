// Clerk issues the JWTs; Convex checks them against the issuer's JWKS.
// CLERK_JWT_ISSUER_DOMAIN is the Clerk Frontend API URL (e.g. https://verb-noun-00.clerk.accounts.dev)
// and the Clerk JWT template must be named "convex" (its `aud` claim).
export default {
  providers: [
    {
      // eslint-disable-next-line @convex-dev/no-process-env -- auth.config is read at push time, where only process.env exists
      domain: process.env.CLERK_JWT_ISSUER_DOMAIN,
      applicationID: "convex",
    },
  ],
};
