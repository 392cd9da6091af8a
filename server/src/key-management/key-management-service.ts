import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AuditActor, appendAuditEvent } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors/app-error.js';
import type { ExportService } from '../export/export-service.js';
import type { CompanyKeyService } from '../keys/company-keys-service.js';
import {
  type ConnectionTestReport,
  type ConnectionTestStep,
  providerConnectionTest,
  runSteps,
} from '../providers/connection-test.js';
import { providerLabel } from '../providers/provider-labels.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import { assertKnownRequestFields, auditableRequestFields } from '../providers/provider-request-fields.js';
import type { KeyProvider } from '../providers/provider-types.js';
import { findActiveSwitch, type ProviderSwitch } from '../switch/switch-dal.js';
import type { SwitchService } from '../switch/switch-service.js';
import { claimExternalId, externalIdTakenByOther, suggestedExternalId } from './external-ids-dal.js';
import { readSetupScript, setupCommand, setupScriptName } from './setup-script.js';

export interface KeyManagementDeps {
  db: Kysely<Database>;
  config: Config;
  providers: ProviderRegistry;
  companyKeys: CompanyKeyService;
  switches: SwitchService;
  exports: ExportService;
  logger: Logger;
}

export interface ProviderRequest {
  providerType: string;
  config: Record<string, unknown>;
}

export interface TestResponse {
  ok: boolean;
  steps: ConnectionTestStep[];
  error?: { code: string; message: string; fix: string };
}

/** The status the console reads for the switch in progress. */
export interface SwitchView {
  id: string;
  state: string;
  target: { type: string; label: string; config: Record<string, unknown> };
  createdAt: Date;
  createdBy: string;
  tenantsTotal: number;
  tenantsVerified: number;
  lastError: { code: string; message: string; fix: string } | null;
}

/**
 * Key Management for one company: the overview, the AWS setup values, Test connection and Save.
 * Save re-runs the whole test and creates the pending switch only when it passes, so a green test
 * is followed by a failing Save only if something changed in the provider between the two clicks.
 */
export class KeyManagementService {
  readonly #deps: KeyManagementDeps;

  constructor(deps: KeyManagementDeps) {
    this.#deps = deps;
  }

  async switchView(active: ProviderSwitch): Promise<SwitchView> {
    const tenants = await this.#deps.switches.tenantStatuses(active.companyId, active.id);
    return {
      id: active.id,
      state: active.state,
      target: {
        type: active.targetType,
        label: providerLabel(active.targetType),
        config: displayConfig(active.targetConfig),
      },
      createdAt: active.createdAt,
      createdBy: active.createdBy,
      tenantsTotal: tenants.length,
      tenantsVerified: tenants.filter((tenant) => tenant.status === 'verified').length,
      lastError: active.lastError,
    };
  }

  async overview(companyId: string) {
    const { db } = this.#deps;
    const company = await db
      .selectFrom('companies')
      .select(['id', 'name', 'provider_type', 'provider_config', 'provider_since'])
      .where('id', '=', companyId)
      .executeTakeFirstOrThrow();
    const active = await findActiveSwitch(db, companyId);
    const health = await db
      .selectFrom('key_health')
      .selectAll()
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    const hasConfig = Object.keys(company.provider_config).length > 0;

    return {
      companyId: company.id,
      companyName: company.name,
      provider: {
        type: company.provider_type,
        label: providerLabel(company.provider_type),
        config: hasConfig ? displayConfig(company.provider_config) : null,
        activeSince: new Date(company.provider_since).toISOString(),
      },
      status: active ? 'switching' : 'active',
      switch: active ? await this.switchView(active) : null,
      keyHealth: health
        ? {
            state: health.state,
            message: health.message,
            checkedAt: new Date(health.checked_at).toISOString(),
            ...(health.deletion_date ? { deletionDate: new Date(health.deletion_date).toISOString() } : {}),
            unknownGrants: health.unknown_grants,
          }
        : null,
      export: await this.#deps.exports.status(companyId),
    };
  }

  async setupValues(companyId: string) {
    const externalId = await suggestedExternalId(this.#deps.db, companyId);
    const script = readSetupScript();
    return {
      platformPrincipalArn: this.#deps.config.platformPrincipalArn,
      externalId,
      setupCommand: setupCommand(this.#deps.config.platformPrincipalArn, externalId),
      script: {
        fileName: setupScriptName,
        sha256: script.sha256,
        downloadUrl: `/api/setup-script/${setupScriptName}`,
      },
    };
  }

  /** Runs Test connection and records it in the audit log. */
  async test(companyId: string, request: ProviderRequest, actor: AuditActor): Promise<TestResponse> {
    const { report } = await this.#runTest(companyId, request, 'test');
    await this.#audit(companyId, actor, 'connection.tested', request, report);
    return toResponse(report);
  }

  /** Re-runs the test and, when it passes, stores the configuration as the target of a pending switch. */
  async save(
    companyId: string,
    request: ProviderRequest,
    actor: AuditActor,
  ): Promise<TestResponse & { switch?: SwitchView }> {
    const { report, provider } = await this.#runTest(companyId, request, 'save');
    if (report.error || !provider) {
      await this.#audit(companyId, actor, 'connection.save_refused', request, report);
      return toResponse(report);
    }

    // Saving the target of the pending switch again (a double click, a retry) keeps that switch and the
    // tenant verifications it has gathered, where a replacement would discard them.
    const pending = await findActiveSwitch(this.#deps.db, companyId);
    if (
      pending?.state === 'pending' &&
      pending.targetType === request.providerType &&
      (await isUnchanged(provider, pending.targetConfig, request.config))
    ) {
      this.#deps.logger.info({ companyId, switchId: pending.id }, 'save repeated the pending switch target');
      return { ...toResponse(report), switch: await this.switchView(pending) };
    }

    const externalId = awsExternalId(request);
    if (externalId !== undefined && !(await claimExternalId(this.#deps.db, externalId, companyId))) {
      throw externalIdInUse();
    }
    // A provider with secrets (Azure's client secret) stores its sealed form, with the key version it pinned.
    const config = hasStoredConfig(provider) ? await provider.storedConfig() : request.config;
    const created = await this.#deps.switches.start(companyId, { type: request.providerType, config }, actor);
    const active = (await findActiveSwitch(this.#deps.db, companyId)) ?? created;
    return { ...toResponse(report), switch: await this.switchView(active) };
  }

  /**
   * Runs the input checks and the provider's connection test. The company's current configuration
   * fails Save with CONFLICT, but Test connection still checks it live, as an admin checking their key
   * expects.
   */
  async #runTest(
    companyId: string,
    request: ProviderRequest,
    purpose: 'test' | 'save',
  ): Promise<{ report: ConnectionTestReport; provider?: KeyProvider }> {
    const { db, providers, companyKeys } = this.#deps;
    let provider: KeyProvider | undefined;

    const inputs = await runSteps([
      {
        name: 'Input checks',
        run: async () => {
          assertKnownRequestFields(request.providerType, request.config);
          provider = await providers.create(request.providerType, request.config);
          const externalId = awsExternalId(request);
          if (externalId !== undefined && (await externalIdTakenByOther(db, externalId, companyId))) {
            throw externalIdInUse();
          }
          const company = await db
            .selectFrom('companies')
            .select(['provider_type', 'provider_config'])
            .where('id', '=', companyId)
            .executeTakeFirstOrThrow();
          const unchanged =
            company.provider_type === request.providerType &&
            (await isUnchanged(provider, company.provider_config, request.config));
          if (unchanged && purpose === 'save') {
            throw new AppError(
              'CONFLICT',
              `This company's keys are already protected by this ${providerLabel(request.providerType)} configuration.`,
              {
                fix: 'Nothing to do; to move to another key, enter its values.',
              },
            );
          }
          if (unchanged) {
            return "Every value has the expected shape. These are the company's current values: the test checks them, and Save would change nothing.";
          }
          return 'Every value has the expected shape.';
        },
      },
    ]);
    if (inputs.error || !provider) return { report: inputs };

    const companyKeyVersion = ((await companyKeys.newestVersion(companyId)) ?? 0) + 1;
    const report = await providerConnectionTest(provider, providerLabel(request.providerType), {
      companyId,
      companyKeyVersion,
    });
    return {
      report: { steps: [...inputs.steps, ...report.steps], ...(report.error ? { error: report.error } : {}) },
      provider,
    };
  }

  async #audit(
    companyId: string,
    actor: AuditActor,
    action: string,
    request: ProviderRequest,
    report: ConnectionTestReport,
  ): Promise<void> {
    const failed = report.steps.find((step) => step.status === 'failed');
    const inputsPassed = report.steps[0]?.name === 'Input checks' && report.steps[0].status === 'passed';
    if (report.error) {
      // The raw provider text stays in the log, with the ids, never in the response.
      this.#deps.logger.info(
        {
          companyId,
          providerType: request.providerType,
          code: report.error.code,
          step: failed?.name,
          err: report.error.cause,
        },
        'connection test failed',
      );
    }
    await appendAuditEvent(this.#deps.db, {
      companyId,
      actor,
      action,
      outcome: report.error ? 'failure' : 'success',
      summary: report.error
        ? `${action === 'connection.tested' ? 'Test connection' : 'Save'} failed at "${failed?.name}": ${report.error.code}`
        : 'Test connection passed',
      // Values are kept only once they passed the input checks, and only known fields that are not
      // secret, so nothing a request adds under another name reaches the log. Server fields come last.
      details: {
        ...(inputsPassed ? auditableRequestFields(request.providerType, request.config) : {}),
        providerType: request.providerType,
        ...(report.error ? { code: report.error.code, step: failed?.name } : {}),
      },
    });
  }
}

/** A provider whose saved configuration differs from what the admin typed (a sealed secret, a pinned version). */
interface HasStoredConfig {
  storedConfig(): Promise<Record<string, unknown>>;
}

function hasStoredConfig(provider: KeyProvider): provider is KeyProvider & HasStoredConfig {
  return typeof (provider as Partial<HasStoredConfig>).storedConfig === 'function';
}

/**
 * A provider that compares itself with a saved configuration, because the saved form differs from what
 * the admin typed (a sealed secret that never compares equal as stored, a pinned key version).
 */
interface HasConfigComparison {
  matchesStoredConfig(stored: Record<string, unknown>): Promise<boolean>;
}

function hasConfigComparison(provider: KeyProvider): provider is KeyProvider & HasConfigComparison {
  return typeof (provider as Partial<HasConfigComparison>).matchesStoredConfig === 'function';
}

/** Returns whether the requested configuration is the one that already protects the company's keys. */
async function isUnchanged(
  provider: KeyProvider,
  stored: Record<string, unknown>,
  requested: Record<string, unknown>,
): Promise<boolean> {
  if (hasConfigComparison(provider)) return provider.matchesStoredConfig(stored);
  return sameConfig(stored, requested);
}

/** Returns a provider configuration as the console may show it: without secrets, sealed or not. */
export function displayConfig(config: Record<string, unknown>): Record<string, unknown> {
  const { clientSecret: _clientSecret, sealedClientSecret: _sealedClientSecret, ...rest } = config;
  return rest;
}

function toResponse(report: ConnectionTestReport): TestResponse {
  return {
    ok: !report.error,
    steps: report.steps,
    ...(report.error
      ? { error: { code: report.error.code, message: report.error.message, fix: report.error.fix } }
      : {}),
  };
}

/** Returns the External ID of an AWS KMS request, or undefined for other provider types. */
function awsExternalId(request: ProviderRequest): string | undefined {
  const externalId = request.config.externalId;
  return request.providerType === 'aws-kms' && typeof externalId === 'string' ? externalId : undefined;
}

function externalIdInUse(): AppError {
  // The message never names the company that uses it, because reusing one would let a customer aim CyberSentriq at another's role.
  return new AppError(
    'EXTERNAL_ID_IN_USE',
    'This External ID is already in use and cannot be used for this company.',
  );
}

function sameConfig(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}
