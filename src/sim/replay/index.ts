// Public surface of the time-based replay.
export * from './types.js';
export { runReplay } from './engine.js';
export { parseReplayYaml, type ReplayScenario } from './scenario-yaml.js';
export { parseAlibabaTimedPods, type TimedPodsOptions } from './alibaba-timed.js';
export { parseSacct, type SacctWorkload } from './sacct.js';
export { parseDurationMs } from './duration.js';
export { percentiles, jainIndex } from './metrics.js';
export { writeReplayReport } from './report.js';
export { extendArrivals, offeredLoad, scaleToLoad, type LoadBy, type ScaledLoad } from './load.js';
export { bookReservations, withoutReservations, ReplayBookings, type ReplayBooking, type BookedRun } from './booked.js';
export { reservationCost, reservationSummary, type ReservationCost, type ReservationSummary, type ReservationStats } from './booked-report.js';
