/**
 * A browser without a browser, for HTTP-level page tests: it keeps the cookies the server
 * sets, posts forms as a browser would, and reads CSRF tokens off pages.
 */
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../../src/seed/demo.js';
import { nextTotp } from './totp.js';

export interface PageAnswer {
  status: number;
  headers: Headers;
  text: string;
  setCookie: string[];
}

export class FormClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, in order. */
  readonly setCookieLog: string[] = [];
  constructor(readonly base: string) {}

  async request(method: string, path: string, form?: Record<string, string>): Promise<PageAnswer> {
    const response = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const setCookie = response.headers.getSetCookie();
    this.setCookieLog.push(...setCookie);
    for (const header of setCookie) {
      const [pair] = header.split(';');
      const [name, ...value] = pair!.split('=');
      if (value.join('=') === '') this.cookies.delete(name!);
      else this.cookies.set(name!, value.join('='));
    }
    return { status: response.status, headers: response.headers, text: await response.text(), setCookie };
  }

  async csrf(path: string): Promise<string> {
    const page = await this.request('GET', path);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!match) throw new Error(`no CSRF token on ${path}`);
    return match[1]!;
  }

  /**
   * Signs in as a person does: the password, then the code of their authenticator (the demo
   * secret, or the one shown on the first sign-in's enrolment page, which it then enrols).
   * Answers the last step's response: 303 when signed in, as the password step would.
   */
  async signIn(email: string, password = DEMO_PASSWORD, totpSecret = DEMO_TOTP_SECRET): Promise<PageAnswer> {
    const first = await this.request('POST', '/sign-in', { _csrf: await this.csrf('/sign-in'), email, password, next: '/' });
    const step = /^\/sign-in\/(code|enrol)/.exec(first.headers.get('location') ?? '')?.[1];
    if (first.status !== 303 || !step) return first;
    const page = await this.request('GET', first.headers.get('location')!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const secret = step === 'enrol' ? (/id="secret">([A-Z2-7 ]+)</.exec(page.text)?.[1] ?? '').replace(/ /g, '') : totpSecret;
    this.totpSecrets.set(email, secret);
    // A code spoc has not taken yet: each is accepted once (see totp.ts).
    const answer = await this.request('POST', `/sign-in/${step}`, { _csrf: csrf, code: await nextTotp(this.base, email, secret), next: '/' });
    // Enrolment ends on the recovery codes page; the session is signed in from there.
    return step === 'enrol' && answer.status === 200 ? { ...answer, status: 303 } : answer;
  }

  /** The authenticator secret each email signed in with (enrolled on a first sign-in). */
  readonly totpSecrets = new Map<string, string>();
}
