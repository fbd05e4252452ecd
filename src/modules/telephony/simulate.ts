/**
 * `spoc telephony simulate`: a scripted call against a running spoc, each webhook signed
 * and form-encoded exactly as Twilio sends it, following the TwiML the way Twilio would
 * (Gather → its action with the caller's key, Redirect → its URL), and printing the dialogue.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { Invalid } from '../../lib/errors.js';

export interface Simulation {
  base: string;
  publicUrl: string;
  token: string;
  from: string;
  digits: string[];
}

const VERB = /<(Say|Gather|Enqueue|Dial|Redirect|Leave|Hangup|Pause|Number)\b([^>]*?)(?:\/>|>([^<]*))/g;
const attr = (attrs: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(attrs)?.[1];

export async function simulateCall(sim: Simulation, print: (line: string) => void): Promise<void> {
  const call = { CallSid: `CA${randomBytes(16).toString('hex')}`, AccountSid: `AC${'0'.repeat(32)}`, From: sim.from, To: '+441632960000', Direction: 'inbound', ApiVersion: '2010-04-01' };
  const post = async (path: string, extra: Record<string, string> = {}) => {
    const params = { ...call, CallStatus: 'in-progress', ...extra };
    const signature = twilio.getExpectedTwilioSignature(sim.token, `${sim.publicUrl}${path}`, params);
    const response = await fetch(`${sim.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    if (response.status >= 300) {
      throw new Invalid([{ field: 'TWILIO_AUTH_TOKEN', message: `${path} answered ${response.status}: is it the server's token, and --public-url its PUBLIC_URL?` }]);
    }
    return response.text();
  };
  print(`call ${call.CallSid} from ${sim.from}`);
  let next: { path: string; extra: Record<string, string> } | null = { path: '/telephony/twilio/voice', extra: {} };
  const keys = [...sim.digits];
  for (let step = 0; next && step < 20; step += 1) {
    const current: { path: string; extra: Record<string, string> } = next;
    const xml = await post(current.path, current.extra);
    next = null;
    for (const [, verb, attrs = '', text] of xml.matchAll(VERB)) {
      if (verb === 'Say') print(`  spoc says: ${text}`);
      else if (verb === 'Gather') {
        const inner = new RegExp(`<Gather${attrs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>(.*?)</Gather>`).exec(xml)?.[1] ?? '';
        for (const [, v, , t] of inner.matchAll(VERB)) if (v === 'Say') print(`  spoc says: ${t}`);
        const key = keys.shift();
        if (!key) {
          print('  caller hangs up');
          break;
        }
        print(`  caller presses ${key}`);
        next = { path: attr(attrs, 'action') ?? current.path, extra: { Digits: key } };
        break;
      } else if (verb === 'Redirect') {
        next = { path: text ?? '', extra: {} };
        break;
      } else if (verb === 'Enqueue') {
        print(`  caller waits in queue ${text}`);
        const wait = await post(attr(attrs, 'waitUrl') ?? '', { QueuePosition: '1', QueueTime: '5', QueueSid: 'QU0', CurrentQueueSize: '1', AvgQueueTime: '0' });
        for (const [, v, , t] of wait.matchAll(VERB)) if (v === 'Say') print(`  spoc says: ${t}`);
        print('  a handler answers');
        await post(attr(attrs, 'action') ?? '', { QueueResult: 'bridged', QueueTime: '5' });
      } else if (verb === 'Dial') print('  spoc rings:');
      else if (verb === 'Number') print(`    ${text}`);
      else if (verb && verb !== 'Pause') print(`  ${verb.toLowerCase()}`);
    }
  }
  await post('/telephony/twilio/status', { CallStatus: 'completed', CallDuration: '60' });
  print('call ended');
}
