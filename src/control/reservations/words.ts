// How reservations read in messages: "16 × H100-80GB in eu-fra-1", "Tue 8 Dec 10:00 to Tue 8 Dec 18:00 UTC".
import type { ReservationSpec } from '../../model/kinds/reservation.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Tue 8 Dec 10:00" (UTC). */
export function timeText(ms: number): string {
  const d = new Date(ms);
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${DAYS[d.getUTCDay()]!} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]!} ${hm}`;
}

export function windowText(start: number, end: number): string {
  return `${timeText(start)} to ${timeText(end)} UTC`;
}

/** "16 × H100-80GB in eu-fra-1", "2 whole nodes in rack r1". */
export function askText(spec: ReservationSpec): string {
  const what = spec.gpus !== undefined ? `${spec.gpus} × ${spec.model ?? 'GPU'}` : `${spec.nodes!} whole ${spec.model ?? ''}${spec.model ? ' ' : ''}node${spec.nodes === 1 ? '' : 's'}`;
  const where = [spec.site && `in ${spec.site}`, spec.rack && `in rack ${spec.rack}`, spec.nvlinkDomain && `in NVLink domain ${spec.nvlinkDomain}`, spec.nodeNames && `on ${spec.nodeNames.join(', ')}`].filter(Boolean);
  return [what, ...where].join(' ');
}
