// The `weft` command line. Each command lives in commands/; this file wires them together and
// turns failures into one readable message and an exit code.
import { calendarCommand, reserveCommand } from './commands/reserve.js';
import { Command, CommanderError } from 'commander';
import { applyCommand } from './commands/apply.js';
import { policyCommand } from './commands/policy.js';
import { auditCommand } from './commands/audit.js';
import { invoiceCommand } from './commands/invoice.js';
import { usageCommand } from './commands/usage.js';
import { configCommand } from './commands/config.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { getCommand } from './commands/get.js';
import { loginCommand } from './commands/login.js';
import { serverCommand } from './commands/server.js';
import { simCommand } from './sim.js';
import { tokenCommand } from './commands/token.js';
import { topCommand } from './commands/top.js';
import { resumeCommand, suspendCommand } from './commands/suspend.js';
import { explainCommand } from './commands/explain.js';
import { upCommand } from './commands/up.js';
import { agentCommand } from './commands/agent.js';
import { mcpCommand } from './commands/mcp.js';
import { versionCommand } from './commands/version.js';
import { logsCommand } from './commands/logs.js';
import { restartVmCommand, sshCommand, startVmCommand, stopVmCommand } from './commands/vm.js';
import { consoleCommand } from './commands/console.js';
import { imageCommand } from './commands/image.js';
import { cordonCommand, drainCommand, uncordonCommand } from './commands/nodes.js';
import { EXIT, describeError, exitCodeOf } from './errors.js';
import { VERSION } from './version.js';

const HELP_FOOTER = `
Configuration:
  Contexts (server, token, default project) live in $WEFT_CONFIG or ~/.config/weft/config.yaml.
  WEFT_SERVER, WEFT_TOKEN and WEFT_PROJECT each override that part of the context, e.g. in
  scripts; a saved token is only sent to the server it was saved for.

Exit codes:
  0  success
  1  the command failed: the server refused it (the message names the field), it could not be
     reached, or an input file is wrong
  2  wrong usage: unknown command or option, missing argument`;

export function buildProgram(): Command {
  const program = new Command('weft')
    .description('Weft: an open control plane for AI factories')
    .version(VERSION, '--version', 'print the CLI version')
    .option('--context <name>', 'use this context from the config instead of the current one (env: WEFT_CONTEXT)')
    .addHelpText('after', HELP_FOOTER)
    .exitOverride();
  for (const cmd of [
    upCommand(),
    serverCommand(),
    loginCommand(),
    configCommand(),
    applyCommand(),
    getCommand(),
    describeCommand(),
    deleteCommand(),
    topCommand(),
    suspendCommand(),
    resumeCommand(),
    explainCommand(),
    logsCommand(),
    startVmCommand(),
    stopVmCommand(),
    restartVmCommand(),
    sshCommand(),
    consoleCommand(),
    imageCommand(),
    cordonCommand(),
    uncordonCommand(),
    drainCommand(),
    tokenCommand(),
    auditCommand(),
    policyCommand(),
    reserveCommand(),
    calendarCommand(),
    usageCommand(),
    invoiceCommand(),
    versionCommand(),
    agentCommand(),
    mcpCommand(),
    simCommand(),
  ]) {
    program.addCommand(cmd);
  }
  // exitOverride is not inherited by commands added with addCommand; set it everywhere.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** Runs the CLI; sets process.exitCode instead of exiting so output is flushed. */
export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  // `weft get nodes | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; commander already printed the message.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const lines = describeError(err);
    if (lines.length > 0 && lines[0] !== '') console.error([`error: ${lines[0]}`, ...lines.slice(1)].join('\n'));
    process.exitCode = exitCodeOf(err);
  }
}
