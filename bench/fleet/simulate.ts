/**
 * `npm run simulate -- --server coap://127.0.0.1:5683 --devices 1000 --rate 5000`: the fleet
 * simulator (see FleetCommandLine.ts for every flag). Stdout carries the JSON report only, so that a
 * benchmark can parse it; stderr the phases (JSON lines, for a benchmark to time the server by) and a
 * one-line summary for people.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolveUserPath } from '../../src/cli/InvocationDirectory.ts';
import { Fleet } from './Fleet.ts';
import type { FleetReport } from './Fleet.ts';
import { fleetHelp, parseFleetCommandLine } from './FleetCommandLine.ts';
import { registrationCsvLines } from './RegistrationCsv.ts';

function summaryLine(report: FleetReport): string {
  const r = report.registrations;
  const n = report.notifications;
  const parts = [
    `${r.done}/${report.devices} registered (${r.failed} failed) at ${r.perSecond}/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
    `${n.sent} notifications sent (${n.sentPerSecond}/s of ${n.offeredPerSecond}/s offered) to ${report.observations.active} observations`,
  ];
  if (n.confirmable) parts.push(`${n.acknowledged} acknowledged, ${n.timedOut} timed out, ACK p50 ${n.ackLatencyMs.p50} ms, p99 ${n.ackLatencyMs.p99} ms`);
  const s = report.subscriber;
  if (s !== undefined) parts.push(`subscriber heard ${s.received} (${s.lost} lost), p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms`);
  parts.push(`fleet CPU ${report.fleetCpuSeconds} s`);
  return `fleet: ${parts.join('; ')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseFleetCommandLine(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(fleetHelp);
      return 0;
    case 'error':
      process.stderr.write(`simulate: ${command.message}\n\nsimulate --help lists the options\n`);
      return 2;
    case 'write-csv': {
      // Relative to where the user ran `npm run simulate`, not to the project folder npm runs it in.
      const file = createWriteStream(resolveUserPath(command.file, process.env));
      for (const line of registrationCsvLines(command.csv)) if (!file.write(line)) await once(file, 'drain');
      file.end();
      await once(file, 'finish');
      process.stderr.write(`simulate: wrote ${command.csv.devices} ${command.csv.security} rows to ${command.file}\n`);
      return 0;
    }
    case 'run': {
      const report = await new Fleet(command.options).run((phase) => process.stderr.write(`${JSON.stringify({ phase, at: Date.now() })}\n`));
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(summaryLine(report));
      return report.registrations.done > 0 ? 0 : 1;
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
