// `weft token create|list|revoke`: bearer tokens for users, and one-time join tokens for nodes.
import { Command } from 'commander';
import { connect } from '../connect.js';
import { parseDurationSeconds } from '../duration.js';
import { renderTable } from '../output/table.js';

interface CreateOptions {
  user?: string;
  description?: string;
  expires?: string;
  join?: boolean;
}

export function tokenCommand(): Command {
  const token = new Command('token').description('create, list and revoke API tokens');

  token
    .command('create')
    .description('create a token; it is printed once, as the last word of the output')
    .option('--user <name>', 'user the token acts as (default: you)')
    .option('--description <text>', 'what the token is for')
    .option('--expires <duration>', 'lifetime, e.g. 24h, 7d (default: no expiry; join tokens get the server default)')
    .option('--join', 'a one-time token a node agent exchanges for its node credential')
    .action(async (opts: CreateOptions, self: Command) => {
      const { client } = connect(self);
      const created = await client.tokens.create({
        user: opts.user,
        description: opts.description,
        expiresInSeconds: opts.expires ? parseDurationSeconds(opts.expires) : undefined,
        join: opts.join || undefined,
      });
      const subject = typeof created.subject === 'string' ? created.subject : (opts.user ?? 'you');
      const what = opts.join ? 'one-time join token' : `token for user ${subject}`;
      const expires = typeof created.expiresAt === 'string' ? `, expires ${created.expiresAt}` : '';
      console.log(`Created ${what} (id ${created.id}${expires}). It is shown only once:`);
      // Scripts take the last word: TOKEN=$(weft token create | tail -n1) or awk '{print $NF}'.
      console.log(created.token);
    });

  token
    .command('list')
    .description('list tokens (never their secret values)')
    .action(async (_opts: unknown, self: Command) => {
      const { client } = connect(self);
      const tokens = await client.tokens.list();
      if (tokens.length === 0) {
        console.error('No tokens found.');
        return;
      }
      const rows = tokens.map((t) => [
        t.id,
        t.kind ?? '',
        t.subject ?? '',
        t.description ?? '',
        t.createdAt ?? '',
        t.expiresAt ?? '<never>',
        t.usedAt ?? '',
      ]);
      console.log(renderTable(['ID', 'KIND', 'SUBJECT', 'DESCRIPTION', 'CREATED', 'EXPIRES', 'USED'], rows));
    });

  token
    .command('revoke')
    .description('revoke tokens by id')
    .argument('<id...>', 'token ids, as shown by `weft token list`')
    .action(async (ids: string[], _opts: unknown, self: Command) => {
      const { client } = connect(self);
      for (const id of ids) {
        await client.tokens.revoke(id);
        console.log(`token ${id} revoked`);
      }
    });

  return token;
}
