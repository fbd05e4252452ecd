/**
 * The `spoc` command: serve, start, migrate, seed, partnership, organisation, user, token, directory.
 * Run `spoc --help` or `spoc <command> --help`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, targetFromConfig, type Database } from './db/connect.js';
import { RestoreRefused, restoreBackup } from './db/backup.js';
import { DataDirInUse } from './db/lockfile.js';
import { migrate } from './db/migrate.js';
import { inTransaction } from './db/transaction.js';
import { DomainError, Invalid } from './lib/errors.js';
import { generateKey, useKeyring } from './lib/crypto.js';
import { isIsoDate } from './lib/schema.js';
import { sealAudit, verifyAudit } from './modules/access/audit-chain.js';
import { ROLE_LABELS, ROLES, SYSTEM_ROLES } from './modules/access/policy.js';
import { addUser, createOrganisation, createToken, ORGANISATION_KINDS, requirePartnership } from './modules/access/service.js';
import { listPartnerships } from './modules/access/store.js';
import { exportDirectory, importDirectory } from './modules/directory/oruk-io.js';
import { rotateEncryption } from './modules/encryption/rotation.js';
import { replay } from './modules/pathways/replay.js';
import { parseRuleSet } from './modules/pathways/service.js';
import { describeRetention } from './modules/rights/describe.js';
import { runRetention } from './modules/rights/retention.js';
import { retentionRules } from './modules/rights/rules.js';
import { setRetentionRules } from './modules/rights/settings.js';
import { DEMO_PASSWORD, DEMO_SLUG, DEMO_TOTP_SECRET, DEMO_USERS, demoToken, seedDemo } from './seed/demo.js';
import { provisionPartnership } from './seed/partnership.js';
import { seedSynthetic } from './seed/synthetic.js';

async function withDatabase<T>(fn: (database: Database, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(targetFromConfig(config));
  try {
    return await fn(database, config);
  } finally {
    await database.close();
  }
}

async function migrateQuietly(database: Database): Promise<void> {
  const result = await migrate(database, (name) => console.error(`applied migration ${name}`));
  if (result.applied.length === 0) console.error(`database schema is up to date (${result.alreadyApplied} migrations)`);
}

async function serve(options: { seedDemoIfEmpty: boolean }): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(targetFromConfig(config));
  console.error(database.kind === 'pglite' ? `embedded database: ${config.dataDir}` : 'database: PostgreSQL (DATABASE_URL)');
  await migrateQuietly(database);
  let seeded = false;
  if (options.seedDemoIfEmpty && (await listPartnerships(database.db)).length === 0) {
    console.error('empty database: loading the Castlebrook demo partnership');
    await inTransaction(database.db, null, (tx) => seedDemo(tx));
    seeded = true;
  }
  const app = await buildApp({ config, database });
  const url = await app.listen({ port: config.port, host: config.host });
  const isDemo = (await listPartnerships(database.db)).some((p) => p.slug === DEMO_SLUG && p.is_demo);
  console.log(`\nspoc is running at ${url}\n  staff web app: ${url}/\n  public web door: ${url}/get-help (self-referral), ${url}/refer (professionals)\n  API documentation (OpenAPI 3.1): ${url}/openapi.json\n  health: ${url}/health\n  Open Referral UK directory: ${url}/oruk/`);
  if (isDemo) printDemoAccounts(url, seeded);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: stopping now, without waiting for requests in progress`);
      process.exit(1);
    }
    stopping = true;
    // Ctrl-C in a terminal stops at once; SIGTERM (a service manager, a container) gives a load balancer its grace first.
    const graceMs = signal === 'SIGTERM' ? config.shutdownGraceMs : 0;
    console.error(`${signal}: stopping${graceMs > 0 ? `: /health/ready answers 503, accepting for ${graceMs} ms more` : ''}; finishing the requests in progress`);
    // Whatever happens below, the process ends: a stop that hangs is a stop that gets SIGKILLed.
    setTimeout(() => {
      console.error('spoc: still stopping after the shutdown timeout: exiting');
      process.exit(1);
    }, graceMs + config.shutdownTimeoutMs + 5_000).unref();
    try {
      const drained = await app.drain({ graceMs, timeoutMs: config.shutdownTimeoutMs });
      // Then background jobs (the step in progress commits, no other starts), then the database.
      await app.close();
      await database.close();
      const requests = (n: number) => `${n} request${n === 1 ? '' : 's'}`;
      console.error(
        drained.cutOff > 0
          ? `stopped: ${requests(drained.cutOff)} still in progress after ${config.shutdownTimeoutMs} ms cut off (SPOC_SHUTDOWN_TIMEOUT_MS); background jobs stopped, database closed`
          : `stopped: ${requests(drained.inProgressAtStart)} in progress, ${drained.answered} answered while stopping; background jobs stopped, database closed`,
      );
      process.exit(drained.cutOff > 0 ? 1 : 0);
    } catch (error) {
      console.error(`spoc: stopping failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function printDemoAccounts(url: string, justSeeded: boolean): void {
  console.log(`\nDemo partnership "${DEMO_SLUG}"${justSeeded ? ' (just loaded)' : ''}. Demo accounts — fictional data only; password for all: ${DEMO_PASSWORD}`);
  console.log(`Sign-in codes: add the setup key ${DEMO_TOTP_SECRET} to an authenticator app (demo only; real users enrol their own on first sign-in).`);
  for (const user of DEMO_USERS) {
    console.log(`  ${ROLE_LABELS[user.role].padEnd(28)} ${user.email.padEnd(38)} API token: ${demoToken(user.email)}`);
  }
  console.log(`\nTry: curl -H "Authorization: Bearer ${demoToken(DEMO_USERS[0]!.email)}" ${url}/api/v1/me\n`);
}

/** A commander parser for a whole number of at least 1, naming the option when it is not one. */
function positiveWhole(name: string) {
  return (value: string): number => {
    if (!/^[1-9][0-9]{0,9}$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
    return Number(value);
  };
}

const program = new Command()
  .name('spoc')
  .description('spoc: the single point of contact for a domestic-abuse partnership.\nConfiguration comes from the environment: see README.md.')
  .showHelpAfterError();

program
  .command('start')
  .description('Migrate, load the demo partnership if the database is empty, and serve (what `npm start` runs)')
  .action(() => serve({ seedDemoIfEmpty: true }));

program
  .command('serve')
  .description('Migrate and serve the API on PORT (default 3000)')
  .action(() => serve({ seedDemoIfEmpty: false }));

program
  .command('migrate')
  .description('Apply database migrations not yet applied')
  .action(() => withDatabase(migrateQuietly));

program
  .command('seed')
  .description('Load data into the database: the demo partnership, or synthetic history for reports and benchmarks')
  .option('--demo', 'load the fictional Castlebrook demo partnership')
  .option('--synthetic <contacts>', 'add this many synthetic contacts (with assessments, calls, referrals, cases, MARAC) over past years', positiveWhole('--synthetic'))
  .option('--partnership <slug>', 'the partnership to add synthetic history to', DEMO_SLUG)
  .option('--years <years>', 'how many years the synthetic history spans, ending a week ago', positiveWhole('--years'), 3)
  .option('--seed <number>', 'random seed, for the same history twice', positiveWhole('--seed'))
  .addHelpText('after', '\nExamples:\n  spoc seed --demo\n  spoc seed --synthetic 20000            (a few seconds; fills the demo\'s reports)\n  spoc seed --synthetic 5000000 --years 5 (national scale, on PostgreSQL: bench/reports)')
  .action((options: { demo?: boolean; synthetic?: number; partnership: string; years: number; seed?: number }) => {
    if (!options.demo && options.synthetic === undefined) program.error('error: say what to load: --demo, --synthetic <contacts>, or both');
    return withDatabase(async (database) => {
      await migrateQuietly(database);
      if (options.demo) {
        await inTransaction(database.db, null, (tx) => seedDemo(tx));
        console.log(`Loaded the demo partnership "${DEMO_SLUG}".`);
      }
      if (options.synthetic !== undefined) {
        const started = Date.now();
        const result = await seedSynthetic(database, {
          partnershipSlug: options.partnership,
          contacts: options.synthetic,
          years: options.years,
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          onProgress: (done, total, stage) => {
            const seconds = (Date.now() - started) / 1000;
            process.stderr.write(`\rsynthetic ${stage}: ${done.toLocaleString('en-GB')}/${total.toLocaleString('en-GB')} (${Math.floor((done / total) * 100)}%), ${Math.round(seconds)} s${done === total ? '\n' : ''}`);
          },
        });
        console.log(
          `Added synthetic history to "${options.partnership}": ${result.contacts.toLocaleString('en-GB')} contacts, ${result.people.toLocaleString('en-GB')} people, ${result.referrals.toLocaleString('en-GB')} referrals, ${result.cases.toLocaleString('en-GB')} cases in ${result.seconds} s.`,
        );
      }
    });
  });

program
  .command('partnership')
  .description('Partnerships (tenants)')
  .command('create')
  .description('Create a partnership with its SPOC hub organisation, default needs and the DASH RIC')
  .requiredOption('--slug <slug>', 'short name, e.g. northborough')
  .requiredOption('--name <name>', 'full name')
  .requiredOption('--hub-slug <slug>', 'short name of the SPOC hub organisation')
  .requiredOption('--hub-name <name>', 'name of the SPOC hub organisation')
  .action((options: { slug: string; name: string; hubSlug: string; hubName: string }) =>
    withDatabase(async (database) => {
      await migrateQuietly(database);
      const { partnership, hub } = await inTransaction(database.db, null, (tx) => provisionPartnership(tx, options));
      console.log(`Created partnership ${partnership.slug} (${partnership.id}) with hub ${hub.slug} (${hub.id}).`);
    }),
  );

program
  .command('organisation')
  .description('Organisations of a partnership')
  .command('add')
  .description('Add an organisation (a provider, a referring agency, the council, commissioners)')
  .requiredOption('--partnership <slug>', 'the partnership')
  .requiredOption('--slug <slug>', 'short name')
  .requiredOption('--name <name>', 'full name')
  .addOption(new Option('--kind <kind>', 'what it is').choices(ORGANISATION_KINDS.filter((k) => k !== 'spoc_hub')).default('provider'))
  .action((options: { partnership: string; slug: string; name: string; kind: string }) =>
    withDatabase(async (database) => {
      const organisation = await inTransaction(database.db, null, async (tx) => {
        const partnership = await requirePartnership(tx, options.partnership);
        return createOrganisation(tx, null, { partnershipId: partnership.id, slug: options.slug, name: options.name, kind: options.kind });
      });
      console.log(`Added organisation ${organisation.slug} (${organisation.id}).`);
    }),
  );

const userCommand = program.command('user').description('People who use spoc');
userCommand
  .command('reset-sign-in')
  .description('For someone who lost their phone and recovery codes, or is locked out: ends their sessions and unlocks them; they enrol a new authenticator at their next sign-in')
  .requiredOption('--email <email>', 'their sign-in email')
  .action((options: { email: string }) =>
    withDatabase(async (database) => {
      const user = await inTransaction(database.db, null, async (tx) => {
        const row = await tx
          .updateTable('users')
          .set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null, recovery_code_hashes: [], failed_sign_ins: 0, locked_until: null })
          .where((eb) => eb(eb.fn('lower', ['email']), '=', options.email.toLowerCase()))
          .returning(['id', 'partnership_id'])
          .executeTakeFirst();
        if (!row) throw new Invalid([{ field: '--email', message: 'is not the email of a user' }]);
        await tx.updateTable('web_sessions').set({ revoked_at: new Date() }).where('user_id', '=', row.id).where('revoked_at', 'is', null).execute();
        await tx.insertInto('audit_events').values({ partnership_id: row.partnership_id, action: 'user.reset_sign_in', record_type: 'user', record_id: row.id, outcome: 'allowed', details: JSON.stringify({ by: 'command line' }) }).execute();
        return row;
      });
      console.log(`Reset sign-in for user ${user.id}: sessions ended, unlocked; a new authenticator is enrolled at the next sign-in.`);
    }),
  );
userCommand
  .command('add')
  .description('Add a user to an organisation with one or more roles')
  .requiredOption('--partnership <slug>', 'the partnership')
  .requiredOption('--organisation <slug>', 'their organisation')
  .requiredOption('--email <email>', 'sign-in email')
  .requiredOption('--name <name>', 'their name')
  .addOption(new Option('--role <role...>', 'one or more roles').choices(ROLES.filter((role) => !SYSTEM_ROLES.includes(role))).makeOptionMandatory())
  .option('--password <password>', 'initial password (12+ characters); omit for token-only use')
  .action((options: { partnership: string; organisation: string; email: string; name: string; role: string[]; password?: string }) =>
    withDatabase(async (database) => {
      const user = await inTransaction(database.db, null, (tx) =>
        addUser(tx, null, {
          partnershipSlug: options.partnership,
          organisationSlug: options.organisation,
          email: options.email,
          name: options.name,
          roles: options.role,
          ...(options.password ? { password: options.password } : {}),
        }),
      );
      console.log(`Added user ${user.id} with roles ${user.roles.join(', ')}.`);
    }),
  );

program
  .command('token')
  .description('API bearer tokens')
  .command('create')
  .description('Create a bearer token for a user; it is shown once and only its hash is stored')
  .requiredOption('--email <email>', 'the user it acts as')
  .option('--name <name>', 'what it is for', 'api')
  .option('--expires-days <days>', 'days until it expires (default: never)', (value) => {
    const days = Number(value);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Invalid([{ field: '--expires-days', message: 'must be a whole number from 1 to 3650' }]);
    return days;
  })
  .action((options: { email: string; name: string; expiresDays?: number }) =>
    withDatabase(async (database) => {
      const created = await inTransaction(database.db, null, (tx) =>
        createToken(tx, null, { email: options.email, name: options.name, ...(options.expiresDays ? { expiresInDays: options.expiresDays } : {}) }),
      );
      console.error(`Token ${created.id} created${created.expiresAt ? `, expires ${created.expiresAt.toISOString()}` : ''}. It will not be shown again:`);
      console.log(created.token);
    }),
  );

const directory = program.command('directory').description('The directory of organisations and services (Open Referral UK JSON)');

directory
  .command('import')
  .description('Import organisations and services from an Open Referral UK JSON file (as `directory export` writes)')
  .argument('<file>', 'the JSON file')
  .option('--partnership <slug>', 'the partnership to import into (default: the only one)')
  .action((file: string, options: { partnership?: string }) =>
    withDatabase(async (database) => {
      const document = readJson(file, 'file');
      await migrateQuietly(database);
      const slug = options.partnership ?? (await onlyPartnership(database));
      const result = await inTransaction(database.db, null, async (tx) =>
        importDirectory(tx, (await requirePartnership(tx, slug)).id, document, (done: number, total: number) =>
          process.stderr.write(`\rimporting services: ${done}/${total}`),
        ),
      );
      process.stderr.write('\n');
      console.log(`Imported ${result.organisations} organisations and ${result.services} services into ${slug}.`);
    }),
  );

directory
  .command('export')
  .description('Write the directory as Open Referral UK JSON (refuge addresses left out unless asked for)')
  .option('--partnership <slug>', 'the partnership (default: the only one)')
  .option('--out <file>', 'write to this file instead of standard output')
  .option('--include-confidential', 'include confidential (refuge) addresses, e.g. to move to another spoc', false)
  .action((options: { partnership?: string; out?: string; includeConfidential: boolean }) =>
    withDatabase(async (database) => {
      const slug = options.partnership ?? (await onlyPartnership(database));
      const document = await inTransaction(database.db, null, async (tx) =>
        exportDirectory(tx, (await requirePartnership(tx, slug)).id, { includeConfidential: options.includeConfidential }),
      );
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (options.out) {
        fs.writeFileSync(options.out, text);
        console.error(`Wrote ${document.services.length} services to ${options.out}.`);
      } else process.stdout.write(text);
    }),
  );

program
  .command('pathways')
  .description('Routing rules')
  .command('replay')
  .description('Apply a candidate rule set to past contacts and show which proposals would change; changes nothing')
  .requiredOption('--rules <file>', 'a JSON file: {"rules": [...]}, as GET /api/v1/pathways/rules returns')
  .option('--since <date>', 'only contacts received on or after this date (YYYY-MM-DD)')
  .option('--partnership <slug>', 'the partnership (default: the only one)')
  .option('--limit <n>', 'how many changed contacts to list', '50')
  .action((options: { rules: string; since?: string; partnership?: string; limit: string }) =>
    withDatabase(async (database) => {
      if (options.since !== undefined && !isIsoDate(options.since)) {
        throw new Invalid([{ field: '--since', message: 'must be a date, YYYY-MM-DD' }]);
      }
      const candidate = parseRuleSet(readJson(options.rules, '--rules'));
      const slug = options.partnership ?? (await onlyPartnership(database));
      const progress = (done: number, total: number) => process.stderr.write(`\rreplaying contacts: ${done}/${total}`);
      const result = await inTransaction(database.db, null, async (tx) =>
        replay(tx, (await requirePartnership(tx, slug)).id, candidate, {
          ...(options.since ? { since: new Date(`${options.since}T00:00:00Z`) } : {}),
          onProgress: progress,
        }),
      );
      if (result.contacts > 0) process.stderr.write('\n');
      console.log(`Replayed ${result.contacts} contacts against rules version ${result.rulesVersion}: ${result.changed.length} would get different proposals.`);
      for (const change of result.changed.slice(0, Number(options.limit))) {
        const parts = [...change.added.map((name) => `+ ${name}`), ...change.removed.map((name) => `- ${name}`)];
        console.log(`  ${change.reference}  ${parts.join(', ')}`);
      }
      if (result.changed.length > Number(options.limit)) console.log(`  … and ${result.changed.length - Number(options.limit)} more (--limit)`);
    }),
  );

program
  .command('backup')
  .description('A consistent copy of the embedded database: from a running spoc (--url, --token of a system administrator) or from the stopped data folder')
  .requiredOption('--out <file>', 'where to write the backup (a gzipped tarball)')
  .option('--url <url>', 'a running spoc to take it from, e.g. http://127.0.0.1:3000')
  .option('--token <token>', 'a system administrator\'s API token (or SPOC_TOKEN)')
  .action(async (options: { out: string; url?: string; token?: string }) => {
    let bytes: Buffer;
    if (options.url) {
      const token = options.token ?? process.env.SPOC_TOKEN;
      if (!token) throw new Invalid([{ field: '--token', message: 'is required with --url (or set SPOC_TOKEN)' }]);
      const response = await fetch(new URL('/api/v1/admin/backup', options.url), { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: string; title?: string };
        throw new Invalid([{ field: '--url', message: `the server answered ${response.status}: ${problem.detail ?? problem.title ?? 'no detail'}` }]);
      }
      bytes = Buffer.from(await response.arrayBuffer());
    } else {
      const config = loadConfig();
      if (config.databaseUrl) throw new Invalid([{ field: 'DATABASE_URL', message: 'is set: back PostgreSQL up with pg_dump (docs/operations.md)' }]);
      const database = await openDatabase(targetFromConfig(config));
      try {
        bytes = Buffer.from(await (await database.backup!()).arrayBuffer());
      } finally {
        await database.close();
      }
    }
    fs.writeFileSync(options.out, bytes);
    console.log(`Wrote a backup of ${(bytes.length / 1024).toFixed(0)} KB to ${options.out}.`);
  });

program
  .command('restore')
  .description('Restore a backup of the embedded database into a new, empty data folder')
  .requiredOption('--from <file>', 'a backup written by spoc backup')
  .option('--data-dir <dir>', 'the new data folder (default: SPOC_DATA_DIR, which must be empty)')
  .action(async (options: { from: string; dataDir?: string }) => {
    const dataDir = path.resolve(options.dataDir ?? loadConfig().dataDir);
    const counts = await restoreBackup(options.from, dataDir);
    console.log(`Restored into ${dataDir}: ${Object.entries(counts).map(([table, n]) => `${n} ${table.replace(/_/g, ' ')}`).join(', ')}.`);
  });

const keysCommand = program.command('keys').description('The keys of application-layer encryption (SPOC_ENCRYPTION_KEYS; docs/encryption.md)');
keysCommand
  .command('generate')
  .description('Print a new random key as SPOC_ENCRYPTION_KEYS takes it (id:base64); put it first to start writing with it')
  .argument('<id>', 'a name for the key, e.g. k2026b (letters, digits, - and _)')
  .action((id: string) => {
    try {
      console.log(generateKey(id));
    } catch (error) {
      // Bad input, named: not an "unexpected error".
      throw Invalid.field('id', (error as Error).message.replace(/^a key id is /, 'must be '));
    }
  });
keysCommand
  .command('rotate')
  .description('Re-encrypt everything under the first key of SPOC_ENCRYPTION_KEYS, in batches; safe to run again (it then changes nothing)')
  .option(
    '--batch-size <n>',
    'rows per transaction',
    (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
      return n;
    },
    500,
  )
  .action((options: { batchSize: number }) =>
    withDatabase(async (database, config) => {
      await migrateQuietly(database);
      useKeyring(config.encryptionKeys);
      const keyId = config.encryptionKeys.current.id;
      const results = await rotateEncryption(database, config, (p) => process.stderr.write(`\r${p.table}: ${p.scanned} rows read, ${p.changed} re-encrypted   `), options.batchSize);
      process.stderr.write('\n');
      for (const r of results) console.log(`${r.table}: ${r.scanned} rows, ${r.changed} re-encrypted`);
      const changed = results.reduce((n, r) => n + r.changed, 0);
      console.log(
        changed === 0
          ? `Everything is under key "${keyId}": the other keys can be removed from SPOC_ENCRYPTION_KEYS.`
          : `Re-encrypted ${changed} rows under key "${keyId}". Run it again: when it changes nothing, the old keys can be removed.`,
      );
    }),
  );

const auditCommand = program.command('audit').description('The audit trail: its hash chain');
auditCommand
  .command('seal')
  .description('Seal audit rows written since the last seal into the hash chain (the background job does this too)')
  .action(() =>
    withDatabase(async (database, config) => {
      await migrateQuietly(database);
      let total = 0;
      for (let sealed = await sealAudit(database.db, config.auditKey); sealed > 0; sealed = await sealAudit(database.db, config.auditKey)) {
        total += sealed;
        process.stderr.write(`\rsealed ${total} audit rows`);
      }
      if (total > 0) process.stderr.write('\n');
      console.log(`Sealed ${total} audit rows.`);
    }),
  );
auditCommand
  .command('verify')
  .description('Check the audit trail: recompute every sealed row\'s hash in order and say where the chain breaks; changes nothing')
  .action(() =>
    withDatabase(async (database, config) => {
      const result = await verifyAudit(database.db, config.auditKey, (checked) => process.stderr.write(`\rchecked ${checked} sealed rows`));
      process.stderr.write('\n');
      if (result.broken) {
        console.error(`Audit trail BROKEN at sealed row ${result.broken.seq}${result.broken.auditId ? ` (audit id ${result.broken.auditId})` : ''}: ${result.broken.problem}.`);
        console.error(`${result.sealed} sealed rows before it are intact; ${result.awaitingSeal} rows await sealing.`);
        process.exitCode = 1;
        return;
      }
      console.log(`Audit trail intact: ${result.sealed} sealed rows in an unbroken chain; ${result.awaitingSeal} rows await sealing.`);
    }),
  );

const telephony = program.command('telephony').description('The number: simulate a call, forecast staffing');

telephony
  .command('simulate')
  .description('Play a scripted call against a running spoc, signed as Twilio signs its webhooks, and print the dialogue')
  .option('--url <url>', 'the running spoc', 'http://127.0.0.1:3000')
  .option('--public-url <url>', 'the address spoc checks signatures against (its PUBLIC_URL; default --url)')
  .option('--from <number>', 'the number the call comes from', '+447700900001')
  .option('--digits <keys>', 'keys the caller presses, in turn (e.g. "1" or "22")', '1')
  .action(async (options: { url: string; publicUrl?: string; from: string; digits: string }) => {
    const token = process.env.TWILIO_AUTH_TOKEN;
    if (!token) throw new Invalid([{ field: 'TWILIO_AUTH_TOKEN', message: 'is needed to sign the requests, as the running spoc has it' }]);
    const { simulateCall } = await import('./modules/telephony/simulate.js');
    await simulateCall({ base: options.url.replace(/\/$/, ''), publicUrl: (options.publicUrl ?? options.url).replace(/\/$/, ''), token, from: options.from, digits: options.digits.split('') }, (line) => console.log(line));
  });

telephony
  .command('forecast')
  .description('Hourly call arrival rates from call records, and the handlers needed per hour (Erlang C)')
  .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
  .requiredOption('--to <date>', 'last day, YYYY-MM-DD')
  .option('--target-seconds <s>', 'answered within this many seconds', '20')
  .option('--service-level <percent>', 'for at least this share of calls', '80')
  .option('--handle-seconds <s>', 'average handling time (default: measured from answered calls, else 600)')
  .option('--abandonment <percent>', 'share of callers expected to hang up before answer, taken off the load', '0')
  .option('--partnership <slug>', 'the partnership (default: the only one)')
  .action((options: { from: string; to: string; targetSeconds: string; serviceLevel: string; handleSeconds?: string; abandonment: string; partnership?: string }) =>
    withDatabase(async (database) => {
      const errors = [];
      for (const field of ['from', 'to'] as const) if (!isIsoDate(options[field])) errors.push({ field: `--${field}`, message: 'must be a date, YYYY-MM-DD' });
      if (errors.length === 0 && options.from > options.to) errors.push({ field: '--to', message: 'must not be before --from' });
      const level = Number(options.serviceLevel);
      if (!(level > 0 && level < 100)) errors.push({ field: '--service-level', message: 'must be a percentage between 0 and 100' });
      const target = Number(options.targetSeconds);
      if (!(target > 0)) errors.push({ field: '--target-seconds', message: 'must be a positive number' });
      if (options.handleSeconds !== undefined && !(Number(options.handleSeconds) > 0)) errors.push({ field: '--handle-seconds', message: 'must be a positive number' });
      const abandonment = Number(options.abandonment);
      if (!(abandonment >= 0 && abandonment < 100)) errors.push({ field: '--abandonment', message: 'must be a percentage from 0 to under 100' });
      if (errors.length > 0) throw new Invalid(errors);
      const { forecast, WEEKDAY_NAMES } = await import('./modules/telephony/forecast.js');
      const slug = options.partnership ?? (await onlyPartnership(database));
      const partnership = await requirePartnership(database.db, slug);
      const result = await forecast(database.db, partnership.id, {
        from: options.from,
        to: options.to,
        targetSeconds: target,
        serviceLevel: level / 100,
        abandonment: abandonment / 100,
        ...(options.handleSeconds ? { handleSeconds: Number(options.handleSeconds) } : {}),
      });
      console.log(`${result.totalCalls} calls from ${options.from} to ${options.to}; handling time ${result.handleSeconds} s; target ${level}% answered within ${target} s.`);
      console.log(`Abandoned in the period: ${(result.measuredAbandonment * 100).toFixed(1)}%; planned for: ${abandonment}%.`);
      console.log('Each cell: average calls in that hour → handlers needed.');
      console.log(`hour   ${WEEKDAY_NAMES.map((d) => d.slice(0, 3).padStart(11)).join('')}`);
      for (let hour = 0; hour < 24; hour += 1) {
        const row = result.cells.filter((c) => c.hour === hour).map((c) => `${c.callsPerHour.toFixed(1)}→${c.handlers}`.padStart(11));
        console.log(`${String(hour).padStart(2, '0')}:00 ${row.join('')}`);
      }
    }),
  );

const retentionCommand = program.command('retention').description('Retention: anonymise what a partnership no longer keeps (docs/retention.md)');
retentionCommand
  .command('run')
  .description('Anonymise what is past its retention period, in batches, each person and contact audited (the background job does this once a day)')
  .option('--dry-run', 'say what is due (counts per record type, and the ids) and change nothing')
  .option('--partnership <slug>', 'one partnership (default: every partnership)')
  .action((options: { dryRun?: boolean; partnership?: string }) =>
    withDatabase(async (database) => {
      await migrateQuietly(database);
      const partnerships = options.partnership ? [await requirePartnership(database.db, options.partnership)] : await listPartnerships(database.db);
      for (const partnership of partnerships) {
        let progressed = false;
        const report = await runRetention(database.db, partnership.id, {
          dryRun: options.dryRun ?? false,
          actor: 'command line',
          onProgress: ({ recordType, done, total }) => {
            progressed = true;
            process.stderr.write(`\r${partnership.slug}: ${recordType === 'person' ? 'people' : 'contacts with no person'} ${done} of ${total}`);
          },
        });
        if (progressed) process.stderr.write('\n');
        console.log(describeRetention(report));
      }
    }),
  );
retentionCommand
  .command('rules')
  .description("Show a partnership's retention rules, or change some of them (audited)")
  .option('--partnership <slug>', 'the partnership (needed when there is more than one)')
  .option('--people-years <years>', 'keep a person and everything about them this many years after their last activity', positiveWhole('--people-years'))
  .option('--unlinked-contact-years <years>', 'keep a contact never linked to a person this many years', positiveWhole('--unlinked-contact-years'))
  .option('--request-answer-days <days>', 'keep the stored first answer of a retried request this many days', positiveWhole('--request-answer-days'))
  .action((options: { partnership?: string; peopleYears?: number; unlinkedContactYears?: number; requestAnswerDays?: number }) =>
    withDatabase(async (database) => {
      await migrateQuietly(database);
      const partnership = await requirePartnership(database.db, options.partnership ?? (await onlyPartnership(database)));
      const changes = Object.fromEntries(
        (['peopleYears', 'unlinkedContactYears', 'requestAnswerDays'] as const).filter((key) => options[key] !== undefined).map((key) => [key, options[key]]),
      );
      const rules = Object.keys(changes).length > 0 ? await setRetentionRules(database.db, partnership.id, changes, 'command line') : retentionRules(partnership.settings);
      console.log(`Retention rules of ${partnership.slug}: a person ${rules.peopleYears} years after their last activity; a contact with no person ${rules.unlinkedContactYears} years; stored request answers ${rules.requestAnswerDays} days.`);
    }),
  );

function readJson(file: string, field: string): unknown {
  if (!fs.existsSync(file)) throw new Invalid([{ field, message: `${file} does not exist` }]);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new Invalid([{ field, message: `${file} is not valid JSON` }]);
  }
}

async function onlyPartnership(database: Database): Promise<string> {
  const partnerships = await listPartnerships(database.db);
  if (partnerships.length === 1) return partnerships[0]!.slug;
  throw new Invalid([
    { field: '--partnership', message: partnerships.length === 0 ? 'there are no partnerships yet' : `choose one of ${partnerships.map((p) => p.slug).join(', ')}` },
  ]);
}

function explain(error: unknown): string {
  if (error instanceof Invalid) return error.errors.map((e) => `${e.field}: ${e.message}`).join('\n');
  if (error instanceof DomainError || error instanceof ConfigError || error instanceof DataDirInUse || error instanceof RestoreRefused) return error.message;
  return `unexpected error: ${(error as Error).message}`;
}

program.parseAsync().catch((error: unknown) => {
  console.error(`spoc: ${explain(error)}`);
  process.exit(1);
});
