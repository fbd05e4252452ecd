/**
 * The `spoc` command as an operator uses it: real processes on a real embedded database
 * in a folder of their own.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import { inTransaction } from '../src/db/transaction.js';
import { encryptionKeys } from '../src/config.js';
import { decrypt } from '../src/lib/crypto.js';
import { hashToken } from '../src/modules/access/tokens.js';
import { demoToken } from '../src/seed/demo.js';
import { createContact } from '../src/modules/contacts/service.js';
import { DEFAULT_RULES } from '../src/modules/pathways/rules.js';
import { DASH_RIC_QUESTION_IDS } from '../src/modules/risk/dash-ric.js';
import { submitAssessment } from '../src/modules/risk/service.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/spoc.js');
let dir: string;

/** Runs spoc with its own data folder (never the PostgreSQL of the test run); resolves even on failure. */
async function spoc(args: string[], dataDir = path.join(dir, 'data')) {
  const env = { ...process.env, SPOC_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spoc-cli-'));
  const seeded = await spoc(['seed', '--demo']);
  expect(seeded.code, seeded.stderr).toBe(0);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Each test starts spoc several times as a new process (a few seconds each on a busy 2-core machine).
describe('the spoc command', { timeout: 120_000 }, () => {
  it('explains itself and every command with --help', async () => {
    const top = await spoc(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'migrate', 'seed', 'user', 'token', 'directory', 'audit']) expect(top.stdout).toContain(command);
    for (const args of [['serve'], ['migrate'], ['seed'], ['user', 'add'], ['token', 'create'], ['directory', 'import'], ['directory', 'export']]) {
      const help = await spoc([...args, '--help']);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/Usage: spoc/);
    }
  });

  it('adds a user and creates a token shown once, stored only as a hash', async () => {
    const added = await spoc(['user', 'add', '--partnership', 'castlebrook', '--organisation', 'rainbow-safe', '--email', 'new.worker@castlebrook.example', '--name', 'New Worker', '--role', 'provider_caseworker']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Added user [0-9a-f-]{36}/);
    const reset = await spoc(['user', 'reset-sign-in', '--email', 'New.Worker@castlebrook.example']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/^Reset sign-in for user [0-9a-f-]{36}: sessions ended, unlocked/);
    const nobody = await spoc(['user', 'reset-sign-in', '--email', 'nobody@castlebrook.example']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/--email: is not the email of a user/);
    const token = await spoc(['token', 'create', '--email', 'new.worker@castlebrook.example', '--expires-days', '30']);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toMatch(/^spoc_[A-Za-z0-9_-]{40,}$/);
    expect(token.stderr).toMatch(/will not be shown again/);
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'data') });
    try {
      const rows = await database.db.selectFrom('api_tokens').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(token.stdout.trim());
      expect(rows.map((r) => r.token_hash)).toContain(hashToken(token.stdout.trim()));
    } finally {
      await database.close();
    }
  });

  it('refuses bad input with a message naming what is wrong', async () => {
    const badRole = await spoc(['user', 'add', '--partnership', 'castlebrook', '--organisation', 'rainbow-safe', '--email', 'x@castlebrook.example', '--name', 'X', '--role', 'overlord']);
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toMatch(/overlord/);
    const badOrg = await spoc(['user', 'add', '--partnership', 'castlebrook', '--organisation', 'nowhere', '--email', 'x@castlebrook.example', '--name', 'X', '--role', 'call_handler']);
    expect(badOrg.code).toBe(1);
    expect(badOrg.stderr).toMatch(/^spoc: organisation: no organisation "nowhere"/);
    const badEmail = await spoc(['token', 'create', '--email', 'nobody@castlebrook.example']);
    expect(badEmail.stderr).toMatch(/user: no user with that email/);
    const missing = await spoc(['directory', 'import', path.join(dir, 'missing.json')]);
    expect(missing.stderr).toMatch(/file: .*does not exist/);
    const again = await spoc(['seed', '--demo']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('exports the directory and imports it into a new database', async () => {
    const file = path.join(dir, 'directory.json');
    const exported = await spoc(['directory', 'export', '--out', file, '--include-confidential']);
    expect(exported.code, exported.stderr).toBe(0);
    const document = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(document.services.length).toBeGreaterThanOrEqual(12);
    const other = path.join(dir, 'other');
    const created = await spoc(['partnership', 'create', '--slug', 'newtown', '--name', 'Newtown', '--hub-slug', 'newtown-spoc', '--hub-name', 'Newtown SPOC'], other);
    expect(created.code, created.stderr).toBe(0);
    const imported = await spoc(['directory', 'import', file], other);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`Imported 10 organisations and ${document.services.length} services into newtown`);
    const again = await spoc(['directory', 'export'], other);
    const copy = JSON.parse(again.stdout);
    expect(copy.services.map((s: { id: string }) => s.id).sort()).toEqual(document.services.map((s: { id: string }) => s.id).sort());
    // The default export leaves refuge addresses out.
    expect(again.stdout).not.toMatch(/Example Row|Example Close/);
  });

  it('replays a candidate rule set over past contacts, changing nothing', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'data') });
    try {
      const handler = await database.db.selectFrom('users').selectAll().where('email', '=', 'handler@castlebrook.example').executeTakeFirstOrThrow();
      const actor = { userId: handler.id, partnershipId: handler.partnership_id, organisationId: handler.organisation_id, roles: ['call_handler' as const] };
      await inTransaction(database.db, actor, async (tx) => {
        for (const yes of [15, 15, 11, 3]) {
          const contact = await createContact(tx, actor, { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { postcode: 'XB1 1AA' } });
          await submitAssessment(tx, actor, contact.id, { answers: Object.fromEntries(DASH_RIC_QUESTION_IDS.map((q, i) => [q, i < yes ? 'yes' : 'no'])) as never, policeCallouts12m: 0, otherIncidents12m: 0 });
        }
      });
    } finally {
      await database.close();
    }
    const rules = DEFAULT_RULES.map((rule) => (rule.id === 'high-risk' ? { ...rule, propose: ['idva' as const] } : rule));
    const file = path.join(dir, 'rules.json');
    fs.writeFileSync(file, JSON.stringify({ rules }));
    const replayed = await spoc(['pathways', 'replay', '--rules', file]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/Replayed 4 contacts against rules version 0: 2 would get different proposals\./);
    expect(replayed.stdout.match(/- Castlebrook MARAC/g)).toHaveLength(2);
    expect(replayed.stderr).toMatch(/replaying contacts: 4\/4/);
    const none = await spoc(['pathways', 'replay', '--rules', file, '--since', '2999-01-01']);
    expect(none.stdout).toMatch(/Replayed 0 contacts/);
    fs.writeFileSync(file, JSON.stringify({ rules: [{ id: 'x', description: 'x', when: {}, propose: ['magic'] }] }));
    const bad = await spoc(['pathways', 'replay', '--rules', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\/rules\/0\/propose\/0/);
    expect((await spoc(['pathways', 'replay', '--rules', file, '--since', 'last week'])).stderr).toMatch(/--since: must be a date/);
  });

  it('forecasts handlers per hour from call records (Erlang C), and names bad options', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'data') });
    try {
      const handler = await database.db.selectFrom('users').selectAll().where('email', '=', 'handler@castlebrook.example').executeTakeFirstOrThrow();
      const actor = { userId: handler.id, partnershipId: handler.partnership_id, organisationId: handler.organisation_id, roles: ['call_handler' as const] };
      await inTransaction(database.db, actor, async (tx) => {
        // Two Mondays, 20 calls each between 10:00 and 11:00 London time (GMT in November).
        for (const day of ['2026-11-02', '2026-11-09']) {
          for (let i = 0; i < 20; i += 1) {
            const contact = await createContact(tx, actor, { channel: 'phone', callerType: 'other', immediateDanger: 'not_known' });
            await tx
              .insertInto('calls')
              .values({ partnership_id: actor.partnershipId, organisation_id: actor.organisationId, call_sid: `CA-forecast-${day}-${i}`, from_number: null, contact_id: contact.id, started_at: new Date(`${day}T10:${String(i * 2).padStart(2, '0')}:00Z`) })
              .execute();
          }
        }
      });
    } finally {
      await database.close();
    }
    const result = await spoc(['telephony', 'forecast', '--from', '2026-11-02', '--to', '2026-11-15', '--handle-seconds', '180']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('40 calls from 2026-11-02 to 2026-11-15; handling time 180 s; target 80% answered within 20 s.');
    // 20 calls an hour of 3 minutes is 1 Erlang: 2 handlers answer 70 % within 20 s, 3 answer 93 %.
    const ten = result.stdout.split('\n').find((line) => line.startsWith('10:00'))!;
    expect(ten.trim().split(/\s+/)[1]).toBe('20.0→3');
    expect(result.stdout.split('\n').find((line) => line.startsWith('11:00'))).toMatch(/^11:00(\s+0\.0→0){7}$/);
    expect(result.stdout).toContain('Abandoned in the period: 0.0%; planned for: 0%.');
    // Planning for half the callers to hang up halves the load: 0.5 Erlang needs 2 handlers.
    const abandoning = await spoc(['telephony', 'forecast', '--from', '2026-11-02', '--to', '2026-11-15', '--handle-seconds', '180', '--abandonment', '50']);
    expect(abandoning.stdout.split('\n').find((line) => line.startsWith('10:00'))!.trim().split(/\s+/)[1]).toBe('20.0→2');
    const bad = await spoc(['telephony', 'forecast', '--from', 'yesterday', '--to', '2026-11-01', '--service-level', '120']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--from: must be a date/);
    expect(bad.stderr).toMatch(/--service-level: must be a percentage/);
    const unreal = await spoc(['telephony', 'forecast', '--from', '2026-13-01', '--to', '2026-13-02']);
    expect(unreal.code).toBe(1);
    expect(unreal.stderr).toMatch(/--from: must be a date, YYYY-MM-DD\n--to: must be a date/);
  });

  it('seals the audit trail and verifies its hash chain', async () => {
    const sealed = await spoc(['audit', 'seal']);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(sealed.stdout).toMatch(/^Sealed \d+ audit rows\.$/m);
    const verified = await spoc(['audit', 'verify']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^Audit trail intact: [1-9]\d* sealed rows in an unbroken chain; 0 rows await sealing\.$/m);
  });

  it('simulates a signed call against a running spoc and prints the dialogue', async () => {
    const { startDemoApp } = await import('./harness.js');
    const app = await startDemoApp({ twilioAuthToken: 'cli-token' });
    try {
      const env = { ...process.env, TWILIO_AUTH_TOKEN: 'cli-token', LOG_LEVEL: 'silent' };
      const { stdout } = await run(process.execPath, [BIN, 'telephony', 'simulate', '--url', app.client.baseUrl, '--digits', '1'], { env, timeout: 60_000 });
      const lines = stdout.split('\n');
      expect(lines[1]).toBe('  spoc says: If you or anyone else is in immediate danger, hang up now and dial 999.');
      expect(stdout).toContain('caller presses 1');
      expect(stdout).toMatch(/call ended/);
      const calls = await app.database.db.selectFrom('calls').select(['menu_choice', 'ended_at']).execute();
      expect(calls).toHaveLength(1);
      expect(calls[0]!.menu_choice).toBe('1');
      expect(calls[0]!.ended_at).not.toBeNull();
      const refused = await run(process.execPath, [BIN, 'telephony', 'simulate', '--url', app.client.baseUrl], { env: { ...env, TWILIO_AUTH_TOKEN: 'wrong' }, timeout: 60_000 }).catch((e: { stderr: string; code: number }) => e);
      expect((refused as { code: number }).code).toBe(1);
      expect((refused as { stderr: string }).stderr).toMatch(/TWILIO_AUTH_TOKEN: \/telephony\/twilio\/voice answered 403/);
    } finally {
      await app.close();
    }
  });

  it('refuses a second process on the same data folder, backs the running one up through it, and restores the backup with every record', async () => {
    const { spawn } = await import('node:child_process');
    const server = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, SPOC_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '', PORT: '0', LOG_LEVEL: 'silent' },
    });
    const backup = path.join(dir, 'running.tgz');
    let contactId: string;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (chunk) => {
          out += String(chunk);
          const match = /spoc is running at (\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const second = await spoc(['migrate']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/already open in process \d+/);

      const created = await fetch(`${url}/api/v1/contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${demoToken('handler@castlebrook.example')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'phone', callerType: 'victim', immediateDanger: 'no', summary: 'Made just before the backup.' }),
      });
      expect(created.status).toBe(201);
      contactId = ((await created.json()) as { id: string }).id;
      const refused = await spoc(['backup', '--out', backup, '--url', url, '--token', demoToken('handler@castlebrook.example')]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/--url: the server answered 403/);
      const taken = await spoc(['backup', '--out', backup, '--url', url, '--token', demoToken('admin@castlebrook.example')]);
      expect(taken.code, taken.stderr).toBe(0);
      expect(taken.stdout).toMatch(/^Wrote a backup of \d+ KB to /);
      expect(fs.readFileSync(backup).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.on('exit', resolve));
    }

    const target = path.join(dir, 'restored');
    const restored = await spoc(['restore', '--from', backup, '--data-dir', target]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^Restored into .*restored: 1 partnerships, \d+ users, [1-9]\d* contacts/);
    const again = await spoc(['restore', '--from', backup, '--data-dir', target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--data-dir: .* is not empty/);
    // Everything the running spoc had committed is there, and the copy opens as a database of its own.
    const database = await openDatabase({ kind: 'pglite', dataDir: target });
    try {
      const contact = await database.db.selectFrom('contacts').select(['id', 'summary']).where('id', '=', contactId!).executeTakeFirst();
      // The account is stored encrypted (docs/encryption.md), under the key the spoc processes were given (this process's environment).
      expect(contact?.summary).toMatch(/^enc:v1:/);
      expect(contact && { ...contact, summary: decrypt(contact.summary, encryptionKeys(process.env)) }).toEqual({ id: contactId!, summary: 'Made just before the backup.' });
    } finally {
      await database.close();
    }
    const verified = await spoc(['audit', 'verify'], target);
    expect(verified.code, verified.stderr).toBe(0);
  }, 180_000);
});
