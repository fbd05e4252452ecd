/**
 * Council sign-in's wire protocol (issue 9): OpenID Connect's authorization code flow with
 * PKCE, state and nonce, through `openid-client`. It knows nothing of spoc's users: it sends
 * the browser to the council's identity provider (Microsoft Entra ID or any other) and turns
 * the browser's return into the identity the provider vouched for, or a named refusal.
 */
import * as client from 'openid-client';
import type { OidcConfig } from '../../config.js';

/** What spoc keeps in the browser (a short-lived cookie) between the two legs of a sign-in. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The local path to open afterwards. */
  next: string;
}

/** Who the identity provider says this is, from its signed ID token (and its userinfo answer for a missing email). */
export interface IdpIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  /** Only a provider's `email_verified: true` lets an email find an account. */
  emailVerified: boolean;
  /** RFC 8176 authentication method references: how the provider signed the person in. */
  amr: string[];
}

/** The identity provider could not be reached or did not answer. */
export class IdpUnavailable extends Error {}

/** Why a return from the identity provider was not accepted (an audit code, never shown raw). */
export type IdpRefusalReason = 'state' | 'idp_error' | 'invalid_response';

export class IdpRefused extends Error {
  constructor(
    readonly reason: IdpRefusalReason,
    /** The provider's OAuth error code (e.g. `access_denied`), when it gave one. */
    readonly code?: string,
  ) {
    super(`council sign-in refused: ${reason}${code ? ` (${code})` : ''}`);
  }
}

const SCOPE = 'openid email';
const TIMEOUT_SECONDS = 10;

export class CouncilSignIn {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(private readonly settings: OidcConfig) {}

  /** The provider's metadata, discovered on first use (so spoc starts while the provider is down) and kept once read. */
  #discover(): Promise<client.Configuration> {
    this.#configuration ??= client
      .discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, client.ClientSecretPost(this.settings.clientSecret), {
        timeout: TIMEOUT_SECONDS,
        // Config allows http:// only for a provider on this machine (development and tests).
        ...(new URL(this.settings.issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        this.#configuration = undefined;
        throw new IdpUnavailable('the identity provider did not answer its discovery request', { cause: error });
      });
    return this.#configuration;
  }

  /** The first leg: where to send the browser, and what to keep until it returns. */
  async start(next: string): Promise<{ url: URL; pending: PendingSignIn }> {
    const configuration = await this.#discover();
    const pending: PendingSignIn = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), next };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUrl,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * The second leg: the browser is back at the callback with `query` (its query string).
   * Checks the state, spends the code with the PKCE verifier, and checks the ID token
   * (signature, issuer, audience, nonce, times) before believing a word of it.
   */
  async finish(query: string, pending: PendingSignIn): Promise<IdpIdentity> {
    // The callback is read at the configured address, never one made from request headers.
    const currentUrl = new URL(this.settings.redirectUrl);
    currentUrl.search = query;
    // Checked here first, so a mismatch is named and no code is spent on it.
    if (currentUrl.searchParams.get('state') !== pending.state) throw new IdpRefused('state');
    const configuration = await this.#discover();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw refusalOf(error);
    }
    const claims = tokens.claims();
    if (!claims) throw new IdpRefused('invalid_response');
    let email = typeof claims.email === 'string' ? claims.email : null;
    let emailVerified = claims.email_verified === true;
    // Some providers put the email only in userinfo (the same subject is required of the answer).
    if (email === null && configuration.serverMetadata().userinfo_endpoint) {
      try {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        email = typeof info.email === 'string' ? info.email : null;
        emailVerified = info.email_verified === true;
      } catch (error) {
        throw refusalOf(error);
      }
    }
    const amr = Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [];
    return { issuer: claims.iss, subject: claims.sub, email, emailVerified, amr };
  }
}

/** The provider said no (the person cancelled, the code was refused) or its answers failed the checks: a refusal; no answer at all: unavailable. */
function refusalOf(error: unknown): Error {
  if (error instanceof client.AuthorizationResponseError) return new IdpRefused('idp_error', error.error);
  if (error instanceof client.ResponseBodyError) return new IdpRefused('invalid_response', error.error);
  if (error instanceof client.ClientError) return new IdpRefused('invalid_response', error.code);
  return new IdpUnavailable('the identity provider did not answer', { cause: error });
}
