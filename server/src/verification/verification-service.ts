import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { type AuditActor, appendAuditEvent } from '../audit/audit-log.js';
import type { BackupSetKind, Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import { findActiveSwitch } from '../switch/switch-dal.js';
import { listTenants } from '../switch/tenants.js';
import { type Decision, decideGoogle, decideMicrosoft } from './acceptance.js';
import type { IdentityClients } from './identity-clients.js';

/** How long a verification may take from the click on Verify to the return from the identity provider. */
export const verificationStateTtlMs = 10 * 60_000;

export interface VerificationServiceDeps {
  db: Kysely<Database>;
  clients: IdentityClients;
  logger: Logger;
  /** Called after a tenant is verified, so a switch can finish or an export be offered again. */
  onVerified(companyId: string, purpose: 'switch' | 'export'): void;
  fetchImpl?: typeof fetch;
}

export interface VerificationResult {
  companyId: string;
  kind: BackupSetKind;
  tenantId: string;
  outcome: 'verified' | 'refused';
  reason: string | null;
}

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/**
 * Tenant verification: an admin of the tenant signs in at its identity provider (authorization code
 * flow with PKCE, state and nonce) and the sign-in is accepted only under the rules in acceptance.ts.
 * The OAuth state is single-use, expires, and is bound to the RedApp session, the switch (or the
 * export) and the tenant; every refusal is stored with its reason.
 */
export class VerificationService {
  readonly #deps: VerificationServiceDeps;

  constructor(deps: VerificationServiceDeps) {
    this.#deps = deps;
  }

  /** Returns the identity provider URL where the admin signs in to verify one tenant. */
  async start(input: {
    companyId: string;
    kind: BackupSetKind;
    tenantId: string;
    userId: string;
    sessionIdHash: string;
    redirectUri: string;
  }): Promise<string> {
    const { db } = this.#deps;
    const tenant = (await listTenants(db, input.companyId)).find(
      (t) => t.kind === input.kind && t.tenantId.toLowerCase() === input.tenantId.toLowerCase(),
    );
    if (!tenant) {
      throw new AppError(
        'NOT_FOUND',
        `Tenant ${input.tenantId} (${input.kind}) is not in this company's backup sets.`,
        {
          fix: "Refresh the tenant list; only tenants of the company's backup sets can be verified.",
        },
      );
    }

    const active = await findActiveSwitch(db, input.companyId);
    if (active?.state === 'finishing') {
      throw new AppError('OPERATION_IN_PROGRESS', 'The switch is finishing; no verification is needed now.');
    }
    // Without a pending switch, a verification counts only towards another export. That needs the
    // previous export taken, because otherwise the verification would count for nothing.
    if (!active) {
      const offer = await db
        .selectFrom('export_offers')
        .select('consumed_at')
        .where('company_id', '=', input.companyId)
        .executeTakeFirst();
      if (!offer?.consumed_at) {
        throw new AppError(
          'CONFLICT',
          'No tenant verification is needed now: no switch is pending and no export waits for one.',
          {
            fix: 'Verify tenants after you save a new provider, or after you take the export to earn another.',
          },
        );
      }
    }

    const configuration =
      tenant.kind === 'microsoft365'
        ? await this.#deps.clients.forMicrosoftTenant(tenant.tenantId)
        : await this.#deps.clients.forGoogle();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();

    await db
      .insertInto('verification_states')
      .values({
        state_hash: hashState(state),
        session_id_hash: input.sessionIdHash,
        user_id: input.userId,
        company_id: input.companyId,
        switch_id: active?.id ?? null,
        purpose: active ? 'switch' : 'export',
        kind: tenant.kind,
        tenant_id: tenant.tenantId,
        code_verifier: codeVerifier,
        nonce,
        expires_at: new Date(Date.now() + verificationStateTtlMs),
      })
      .execute();

    const scope =
      tenant.kind === 'microsoft365'
        ? 'openid profile email https://graph.microsoft.com/User.Read'
        : 'openid email profile https://www.googleapis.com/auth/admin.directory.user.readonly';
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: input.redirectUri,
      scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      // A session the identity provider remembers must not decide which account verifies, because after
      // a refusal the admin needs to sign in with another one. Entra takes one prompt value, so it gets
      // `login` (credentials every time). Google has no `login`, so it gets the account chooser and consent.
      prompt: tenant.kind === 'microsoft365' ? 'login' : 'select_account consent',
      ...(tenant.kind === 'google_workspace' ? { hd: tenant.primaryDomain } : {}),
    });
    this.#deps.logger.info(
      { companyId: input.companyId, tenantId: tenant.tenantId, kind: tenant.kind },
      'tenant verification started',
    );
    return url.toString();
  }

  /** Handles the identity provider's redirect back: checks the state, decides, records and audits. */
  async complete(
    callbackUrl: URL,
    sessionIdHash: string | undefined,
    actorLabel: (userId: string) => Promise<string>,
  ): Promise<VerificationResult> {
    const { db, logger } = this.#deps;
    const state = callbackUrl.searchParams.get('state');
    if (!state) throw new AppError('VERIFICATION_STATE_INVALID', 'The identity provider returned no state.');

    // Single use: the first request to mark the state used wins; a replay finds it used.
    const row = await db
      .updateTable('verification_states')
      .set({ used_at: new Date() })
      .where('state_hash', '=', hashState(state))
      .where('used_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row)
      throw new AppError(
        'VERIFICATION_STATE_INVALID',
        'This verification link is unknown or was already used.',
      );
    if (new Date(row.expires_at).getTime() < Date.now()) {
      throw new AppError(
        'VERIFICATION_STATE_INVALID',
        'This verification took longer than 10 minutes and expired.',
      );
    }
    if (!sessionIdHash || sessionIdHash !== row.session_id_hash) {
      throw new AppError(
        'VERIFICATION_STATE_INVALID',
        'This verification was started in another RedApp session.',
      );
    }

    const decision = await this.#decide(row, callbackUrl, state);
    const outcome = decision.verified ? 'verified' : 'refused';

    // A verification for a switch that was replaced or cancelled since counts for nothing.
    const active = row.switch_id ? await findActiveSwitch(db, row.company_id) : undefined;
    const stale = row.purpose === 'switch' && active?.id !== row.switch_id;
    await db
      .insertInto('tenant_verifications')
      .values({
        id: crypto.randomUUID(),
        company_id: row.company_id,
        switch_id: row.switch_id,
        purpose: row.purpose,
        kind: row.kind,
        tenant_id: row.tenant_id,
        outcome,
        reason: decision.reason,
        identity: decision.identity,
        user_id: row.user_id,
      })
      .execute();
    const actor: AuditActor = { userId: row.user_id, label: await actorLabel(row.user_id) };
    await appendAuditEvent(db, {
      companyId: row.company_id,
      actor,
      action: decision.verified ? 'tenant.verified' : 'tenant.refused',
      outcome: decision.verified ? 'success' : 'failure',
      summary: decision.verified
        ? `Tenant ${row.tenant_id} verified by ${decision.identity}`
        : `Tenant ${row.tenant_id} refused: ${decision.reason}`,
      details: {
        kind: row.kind,
        tenantId: row.tenant_id,
        purpose: row.purpose,
        switchId: row.switch_id,
        identity: decision.identity,
        reason: decision.reason,
        ...(stale ? { note: 'the switch was replaced or cancelled meanwhile' } : {}),
      },
    });
    logger.info(
      { companyId: row.company_id, tenantId: row.tenant_id, outcome, reason: decision.reason },
      'tenant verification finished',
    );

    if (decision.verified && !stale) this.#deps.onVerified(row.company_id, row.purpose);
    return {
      companyId: row.company_id,
      kind: row.kind,
      tenantId: row.tenant_id,
      outcome,
      reason: decision.reason,
    };
  }

  async #decide(
    row: { kind: BackupSetKind; tenant_id: string; code_verifier: string; nonce: string },
    callbackUrl: URL,
    state: string,
  ): Promise<Decision> {
    const error = callbackUrl.searchParams.get('error');
    if (error === 'access_denied' || error === 'consent_required')
      return { verified: false, reason: 'consent cancelled', identity: null };
    if (error) return { verified: false, reason: `sign-in failed (${error})`, identity: null };

    const { clients } = this.#deps;
    const configuration =
      row.kind === 'microsoft365'
        ? await clients.forMicrosoftTenant(row.tenant_id)
        : await clients.forGoogle();
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: row.code_verifier,
        expectedState: state,
        expectedNonce: row.nonce,
        idTokenExpected: true,
      });
    } catch (cause) {
      this.#deps.logger.warn(
        { err: cause, tenantId: row.tenant_id },
        'tenant verification token exchange failed',
      );
      // A token issued by another tenant's issuer fails validation here: that is a sign-in to another tenant.
      return {
        verified: false,
        reason: 'the sign-in could not be validated (another tenant or an invalid token)',
        identity: null,
      };
    }

    const claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    const fetchImpl = this.#deps.fetchImpl ?? fetch;
    return row.kind === 'microsoft365'
      ? decideMicrosoft(claims, row.tenant_id, tokens.access_token, clients.identity, fetchImpl)
      : decideGoogle(claims, row.tenant_id, tokens.access_token, clients.identity, fetchImpl);
  }
}
