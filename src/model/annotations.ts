// Annotation names with a meaning to Weft. Plain constants (no schema library), so the client and
// the console import them as they are.

/** Set (to the time asked) by `weft drain`; the node-lifecycle controller then moves the work off. */
export const DRAIN_ANNOTATION = 'weft.dev/drain-requested';
