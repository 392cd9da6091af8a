import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { renderConsentPage, renderErrorPage, renderLoginPage } from './html-pages.js';
import { sendHtml } from './http-responses.js';

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** User directory of one issuer, as the login and consent pages use it. */
export interface SignInDirectory {
  /** Name of the emulated identity provider, shown in page titles. */
  productName: string;
  /** Directory the user signs in to, shown on the login page. */
  directoryName: string;
  /** Ids for log lines, for example the tenant id. */
  logIds: Record<string, string>;
  /** Checks a username and password; returns the account id, or the message the login page shows again. */
  authenticate(username: string, password: string): { accountId: string } | { error: string };
  usernameOf(accountId: string): string | undefined;
  /** `error_description` sent to the redirect URI when the user cancels consent. */
  consentCancelledDescription: string;
}

/**
 * Serves the pages behind `{issuer}/interaction/{uid}`: GET shows the login or consent page, POST `…/login`
 * checks the username and password, POST `…/consent` accepts or cancels. Consent given once to a client is
 * remembered for the provider's lifetime, so later sign-ins skip the page unless the request has
 * `prompt=consent`.
 */
export class InteractionRoutes {
  private readonly consented = new Set<string>();

  constructor(
    private readonly provider: Provider,
    private readonly directory: SignInDirectory,
    /** Path of the interaction pages, `{issuer path}/interaction`. */
    private readonly basePath: string,
    private readonly log: Logger,
  ) {}

  async handle(
    request: IncomingMessage,
    body: Buffer,
    response: ServerResponse,
    subPath: string,
  ): Promise<void> {
    const match = /^\/([A-Za-z0-9_-]+)(\/login|\/consent)?$/.exec(subPath);
    if (!match) return this.sendError(response, 404, 'not_found', `No sign-in page at ${subPath}.`);
    const [, uid, action] = match as unknown as [string, string, string | undefined];

    let details: InteractionDetails;
    try {
      details = await this.provider.interactionDetails(request, response);
    } catch (error) {
      this.log.info({ ...this.directory.logIds, uid, err: error }, 'sign-in session not found');
      return this.sendError(
        response,
        400,
        'invalid_request',
        'The sign-in session was not found or has expired. Start again from the application.',
      );
    }
    if (details.uid !== uid) {
      return this.sendError(
        response,
        400,
        'invalid_request',
        'The sign-in session does not match this page. Start again from the application.',
      );
    }

    const form = new URLSearchParams(body.toString('utf8'));
    if (action === undefined && request.method === 'GET') return this.showPrompt(details, request, response);
    if (action === '/login' && request.method === 'POST')
      return this.submitLogin(details, form, request, response);
    if (action === '/consent' && request.method === 'POST')
      return this.submitConsent(details, form, request, response);
    return this.sendError(response, 405, 'invalid_request', `${request.method} is not allowed on this page.`);
  }

  private async showPrompt(
    details: InteractionDetails,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const { prompt, params, session } = details;

    if (prompt.name === 'login' || prompt.name === 'select_account') {
      const hint = typeof params.login_hint === 'string' ? params.login_hint : '';
      return this.sendLoginPage(response, details.uid, hint);
    }

    const clientId = String(params.client_id);
    const accountId = session?.accountId ?? '';
    const consentRequested = prompt.reasons.includes('consent_prompt');
    if (!consentRequested && this.consented.has(`${accountId}\0${clientId}`)) {
      return this.finishConsent(details, request, response);
    }
    return this.sendConsentPage(response, details);
  }

  private async submitLogin(
    details: InteractionDetails,
    form: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const selectingAccount = details.prompt.name === 'select_account';
    if (details.prompt.name !== 'login' && !selectingAccount) {
      return this.sendError(response, 400, 'invalid_request', 'This sign-in session is past the login step.');
    }
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    const clientId = String(details.params.client_id);

    const result = this.directory.authenticate(username, password);
    if ('error' in result) {
      this.log.info({ ...this.directory.logIds, clientId, username }, 'sign-in rejected');
      return this.sendLoginPage(response, details.uid, username, result.error);
    }

    this.log.info({ ...this.directory.logIds, clientId, username }, 'sign-in succeeded');
    await this.endOtherAccountSession(details, result.accountId);
    await this.provider.interactionFinished(
      request,
      response,
      // Signing in is how an account is chosen here, so it also resolves a requested select_account.
      selectingAccount
        ? { select_account: {}, login: { accountId: result.accountId } }
        : { login: { accountId: result.accountId } },
      { mergeWithLastSubmission: false },
    );
  }

  /**
   * Ends the remembered session when the user signs in as another account, as Entra and Google switch
   * accounts. Otherwise oidc-provider responds with its logout confirmation, which this stand-in
   * does not serve.
   */
  private async endOtherAccountSession(details: InteractionDetails, accountId: string): Promise<void> {
    const previous = details.session;
    if (!previous?.accountId || previous.accountId === accountId) return;

    const session = previous.cookie ? await this.provider.Session.find(previous.cookie) : undefined;
    await session?.destroy();
    details.session = undefined;
    await details.save(Math.max(1, (details.exp ?? 0) - Math.floor(Date.now() / 1000)));
    this.log.info(
      { ...this.directory.logIds, clientId: String(details.params.client_id) },
      'remembered session ended for another account',
    );
  }

  private async submitConsent(
    details: InteractionDetails,
    form: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (details.prompt.name !== 'consent') {
      return this.sendError(
        response,
        400,
        'invalid_request',
        'This sign-in session is not at the consent step.',
      );
    }
    const decision = form.get('decision');
    const logIds = { ...this.directory.logIds, clientId: String(details.params.client_id) };

    if (decision === 'cancel') {
      this.log.info(logIds, 'consent cancelled');
      await this.provider.interactionFinished(
        request,
        response,
        { error: 'access_denied', error_description: this.directory.consentCancelledDescription },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (decision !== 'accept') {
      return this.sendError(
        response,
        400,
        'invalid_request',
        'The form field decision must be accept or cancel.',
      );
    }

    this.log.info(logIds, 'consent accepted');
    await this.finishConsent(details, request, response);
  }

  /** Grants every scope and claim the authorization request asked for, as an admin accepting consent does. */
  private async finishConsent(
    details: InteractionDetails,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const accountId = details.session?.accountId;
    const clientId = String(details.params.client_id);
    if (!accountId) return this.sendError(response, 400, 'invalid_request', 'Sign in before giving consent.');

    const grant = details.grantId
      ? ((await this.provider.Grant.find(details.grantId)) ??
        new this.provider.Grant({ accountId, clientId }))
      : new this.provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    this.consented.add(`${accountId}\0${clientId}`);

    await this.provider.interactionFinished(
      request,
      response,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  private sendLoginPage(response: ServerResponse, uid: string, username: string, error?: string): void {
    const html = renderLoginPage({
      productName: this.directory.productName,
      directoryName: this.directory.directoryName,
      action: `${this.basePath}/${uid}/login`,
      username,
      ...(error === undefined ? {} : { error }),
    });
    sendHtml(response, 200, html);
  }

  private async sendConsentPage(response: ServerResponse, details: InteractionDetails): Promise<void> {
    const clientId = String(details.params.client_id);
    const client = await this.provider.Client.find(clientId);
    const scopes =
      typeof details.params.scope === 'string' ? details.params.scope.split(' ').filter(Boolean) : [];
    const html = renderConsentPage({
      productName: this.directory.productName,
      clientName: client?.clientName ?? clientId,
      username: this.directory.usernameOf(details.session?.accountId ?? '') ?? '',
      scopes,
      action: `${this.basePath}/${details.uid}/consent`,
    });
    sendHtml(response, 200, html);
  }

  private sendError(response: ServerResponse, status: number, error: string, description: string): void {
    sendHtml(response, status, renderErrorPage(this.directory.productName, error, description));
  }
}
