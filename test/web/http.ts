/**
 * A browser without a browser, for HTTP-level page tests: it keeps the cookies the server
 * sets, posts forms as a browser would, and reads CSRF tokens off pages.
 */
import { DEMO_PASSWORD } from '../../src/seed/demo.js';

export interface PageAnswer {
  status: number;
  headers: Headers;
  text: string;
  setCookie: string[];
}

export class FormClient {
  readonly cookies = new Map<string, string>();
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

  async signIn(email: string, password = DEMO_PASSWORD): Promise<PageAnswer> {
    return this.request('POST', '/sign-in', { _csrf: await this.csrf('/sign-in'), email, password, next: '/' });
  }
}
