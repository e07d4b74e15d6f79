// Small numeric helpers shared by the mechanics, the sanitizer and the renderers. Pure.

/** `x` kept inside [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
