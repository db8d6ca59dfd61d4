/** What a living spec looks like from outside: the sections a new spec has, in order. */

/** The sections of a spec's body before its `## History`, in order. */
export const SPEC_SECTIONS = [
  "Context",
  "Problem",
  "Options",
  "Decision",
  "Tried and did not work",
  "Access patterns",
  "Consequences",
] as const;
