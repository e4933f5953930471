// `weft config …`: inspect and switch the contexts saved in the CLI config.
import { Command } from 'commander';
import { configPath, loadConfig, saveConfig } from '../config.js';
import { CliError } from '../errors.js';
import { weftCommand } from '../invocation.js';
import { renderTable } from '../output/table.js';

export function printContexts(): void {
  const cfg = loadConfig();
  if (cfg.contexts.length === 0) {
    console.error(`No contexts in ${configPath()}. Run \`${weftCommand()} up\` or \`${weftCommand()} login SERVER --token TOKEN\`.`);
    return;
  }
  const rows = cfg.contexts.map((c) => [c.name === cfg.currentContext ? '*' : '', c.name, c.server, c.project ?? '']);
  console.log(renderTable(['CURRENT', 'NAME', 'SERVER', 'PROJECT'], rows));
}

export function configCommand(): Command {
  const config = new Command('config').description(`manage CLI contexts (file: $WEFT_CONFIG or ~/.config/weft/config.yaml)`);

  config.command('get-contexts').description('list contexts').action(printContexts);

  config
    .command('current-context')
    .description('print the current context')
    .action(() => {
      const cur = loadConfig().currentContext;
      if (!cur) throw new CliError('no current context');
      console.log(cur);
    });

  config
    .command('use-context')
    .description('make a context current')
    .argument('<name>')
    .action((name: string) => {
      const cfg = loadConfig();
      if (!cfg.contexts.some((c) => c.name === name)) throw new CliError(`no context named "${name}"; see \`${weftCommand()} config get-contexts\``);
      saveConfig({ ...cfg, currentContext: name });
      console.log(`Switched to context "${name}".`);
    });

  config
    .command('set-project')
    .description('set the default project of a context (the current one unless --context NAME)')
    .argument('<project>', 'project name; "-" clears it')
    .action((project: string, _opts: unknown, self: Command) => {
      const cfg = loadConfig();
      const name = self.optsWithGlobals<{ context?: string }>().context ?? cfg.currentContext;
      const ctx = cfg.contexts.find((c) => c.name === name);
      if (!ctx) throw new CliError(name ? `no context named "${name}"` : 'no current context');
      ctx.project = project === '-' ? undefined : project;
      saveConfig(cfg);
      console.log(ctx.project ? `Context "${ctx.name}" now defaults to project ${ctx.project}.` : `Context "${ctx.name}" has no default project.`);
    });

  config
    .command('delete-context')
    .description('remove a context (and its token) from the config')
    .argument('<name>')
    .action((name: string) => {
      const cfg = loadConfig();
      if (!cfg.contexts.some((c) => c.name === name)) throw new CliError(`no context named "${name}"`);
      const contexts = cfg.contexts.filter((c) => c.name !== name);
      saveConfig({ contexts, currentContext: cfg.currentContext === name ? contexts[0]?.name : cfg.currentContext });
      console.log(`Deleted context "${name}".`);
    });

  return config;
}
