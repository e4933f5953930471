// Annotation names with a meaning to Weft. Plain constants (no schema library), so the client and
// the console import them as they are.

/** `weft start vm` on a Manual VM sets this annotation to On, `weft stop vm` to Off. */
export const POWER_ANNOTATION = 'weft.dev/power';
/** `weft restart vm` writes the time here; the controller restarts the VM once per new value. */
export const RESTART_ANNOTATION = 'weft.dev/restart-requested';

/** Set (to the time asked) by `weft drain`; the node-lifecycle controller then moves the work off. */
export const DRAIN_ANNOTATION = 'weft.dev/drain-requested';

/**
 * On a workload (and its allocations) that mirrors work submitted straight to an external engine
 * (a Slurm job run with sbatch): the engine's name. Such a workload is read-only through the API;
 * the provider that mirrors it writes it.
 */
export const EXTERNAL_LABEL = 'weft.dev/external';
/** On an external workload: the engine's id for it (a Slurm job id). */
export const EXTERNAL_ID_ANNOTATION = 'weft.dev/external-id';

/** On a cordoned Node: why it was cordoned by Weft itself (a lease's cleanup or health check failed). */
export const CORDON_REASON_ANNOTATION = 'weft.dev/cordon-reason';
