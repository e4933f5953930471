// A QMP client for one command at a time: connect to QEMU's monitor socket, leave capabilities
// negotiation, run the command, return its answer (or QEMU's error), close. Bounded by a timeout
// so a wedged QEMU never holds the agent.
import { connect } from 'node:net';

export class QmpError extends Error {}

export function qmp(socket: string, command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let buf = '';
    let step = 0;
    const timer = setTimeout(() => finish(new QmpError(`QMP ${command}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error, value?: unknown): void => {
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    conn.on('error', (err) => finish(new QmpError(`QMP ${command}: ${err.message}`)));
    conn.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
        if (msg.event) continue; // asynchronous events (POWERDOWN, …) are not answers
        if (msg.QMP && step === 0) {
          step = 1;
          conn.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
        } else if (step === 1) {
          step = 2;
          conn.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
        } else if (step === 2) {
          if (msg.error) finish(new QmpError(`QMP ${command}: ${msg.error.desc ?? 'failed'}`));
          else finish(undefined, msg.return);
        }
      }
    });
  });
}
